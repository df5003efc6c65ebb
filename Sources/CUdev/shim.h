#ifndef TAPELIB_CUDEV_SHIM_H
#define TAPELIB_CUDEV_SHIM_H
#include <libudev.h>
#endif
