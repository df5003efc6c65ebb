#ifndef TAPELIB_CSGUTILS_SHIM_H
#define TAPELIB_CSGUTILS_SHIM_H
#include <stdint.h>
#include <stdbool.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <linux/bsg.h>
#include <scsi/sg_lib.h>
#include <scsi/sg_pt.h>

/* On Linux, libsgutils2's pass-through object starts with a struct sg_io_v4
 * (sg_pt_linux.h: "Leave io_hdr in first place of this structure"); the v3
 * path copies host/driver status back into it. sg_pt.h exposes the host
 * (transport) status but not the driver status, so read it from there. */
static inline uint32_t tapelib_sg_pt_driver_status(const struct sg_pt_base *objp) {
    return ((const struct sg_io_v4 *)(const void *)objp)->driver_status;
}
static inline uint32_t tapelib_sg_pt_host_status(const struct sg_pt_base *objp) {
    return ((const struct sg_io_v4 *)(const void *)objp)->transport_status;
}

/* fcntl is variadic in C: give Swift fixed-arity wrappers. */
static inline int tapelib_fcntl_getfl(int fd) { return fcntl(fd, F_GETFL); }
static inline int tapelib_fcntl_setfl(int fd, int flags) { return fcntl(fd, F_SETFL, flags); }
static inline int tapelib_open(const char *path, int flags) { return open(path, flags); }
#endif
