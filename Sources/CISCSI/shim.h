#ifndef TAPELIB_CISCSI_SHIM_H
#define TAPELIB_CISCSI_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#endif
