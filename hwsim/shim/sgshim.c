/*
 * tapelib sg shim: an LD_PRELOAD library that makes /dev/hwsim/sgN behave like Linux SCSI
 * generic nodes of a tapelib-hwsim server, so unmodified tools (mtx, sg3_utils, stenc) and
 * tapelib's own SG_IO path run against the simulator.
 *
 * With TAPELIB_HWSIM_SOCKET=PATH set, opening /dev/hwsim/sgN connects to the server at PATH
 * and returns the connected socket as the "device" fd; device 0 is the changer, 1… the
 * drives in element order. SG_IO (v3 sg_io_hdr) and the sg ioctls tools probe with are
 * answered here or forwarded as frames of the hwsim protocol (hwsim/SERVER.md); fstat/stat
 * report a character device of major 21 (SCSI generic). Every other path, fd and ioctl is
 * passed to the real libc function untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SG_MAJOR 21
#define PATH_PREFIX "/dev/hwsim/sg"
#define MAX_FDS 4096
#define SG_VERSION 30536            /* sg driver 3.5.36: tools then use the v3 interface */
#define FAKE_HOST_NO 9              /* host number reported by SG_GET_SCSI_ID / GET_IDLUN */
#define DRIVER_SENSE 0x08
#define DID_NO_CONNECT 0x01
#define DID_BUS_BUSY 0x02
#define DID_TIME_OUT 0x03
#define DID_ERROR 0x07
#define DRIVER_TIMEOUT 0x06
#define MAX_PAYLOAD (64u << 20)

/* Message types of the hwsim protocol (hwsim/Sources/HWSimServer/WireMessage.swift). */
enum { MSG_EXECUTE = 0x01, MSG_DESCRIBE = 0x02, MSG_RESULT = 0x81, MSG_DEVICES = 0x82, MSG_FAILURE = 0xFF };

struct fake_node {
    int in_use;
    int device;
    int peripheral_type;
    int timeout_jiffies;
    int reserved_size;
    pthread_mutex_t lock;   /* one command at a time per fd: frames must not interleave */
};

static struct fake_node nodes[MAX_FDS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- real libc functions ------------------------------------------------------------- */

#define REAL(name, type) \
    static type real_##name(void) { \
        static type fn; \
        if (!fn) fn = (type)dlsym(RTLD_NEXT, #name); \
        return fn; \
    }
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstat_fn)(int, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*xstat_fn)(int, const char *, struct stat *);
typedef int (*fxstat_fn)(int, int, struct stat *);
typedef int (*fxstatat_fn)(int, int, const char *, struct stat *, int);
typedef int (*statx_fn)(int, const char *, int, unsigned int, struct statx *);
REAL(open, open_fn)
REAL(open64, open_fn)
REAL(openat, openat_fn)
REAL(openat64, openat_fn)
REAL(__open_2, open2_fn)
REAL(__open64_2, open2_fn)
REAL(__openat_2, openat2_fn)
REAL(__openat64_2, openat2_fn)
REAL(close, close_fn)
REAL(ioctl, ioctl_fn)
REAL(stat, stat_fn)
REAL(stat64, stat_fn)
REAL(lstat, stat_fn)
REAL(lstat64, stat_fn)
REAL(fstat, fstat_fn)
REAL(fstat64, fstat_fn)
REAL(fstatat, fstatat_fn)
REAL(fstatat64, fstatat_fn)
REAL(__xstat, xstat_fn)
REAL(__xstat64, xstat_fn)
REAL(__lxstat, xstat_fn)
REAL(__lxstat64, xstat_fn)
REAL(__fxstat, fxstat_fn)
REAL(__fxstat64, fxstat_fn)
REAL(__fxstatat, fxstatat_fn)
REAL(__fxstatat64, fxstatat_fn)
REAL(statx, statx_fn)

/* ---- fake node table -------------------------------------------------------------------- */

static struct fake_node *fake_node_for(int fd) {
    if (fd < 0 || fd >= MAX_FDS) return NULL;
    struct fake_node *node = &nodes[fd];
    return __atomic_load_n(&node->in_use, __ATOMIC_ACQUIRE) ? node : NULL;
}

/* The device index of a fake path, or -1 when the path is not ours (or no server is set). */
static int fake_device_index(const char *path) {
    if (!path || strncmp(path, PATH_PREFIX, sizeof(PATH_PREFIX) - 1) != 0) return -1;
    if (!getenv("TAPELIB_HWSIM_SOCKET")) return -1;
    const char *digits = path + sizeof(PATH_PREFIX) - 1;
    if (*digits == '\0' || strlen(digits) > 5) return -1;
    int index = 0;
    for (const char *p = digits; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        index = index * 10 + (*p - '0');
    }
    return index;
}

/* ---- socket and framing ------------------------------------------------------------------ */

static int write_all(int fd, const uint8_t *bytes, size_t count) {
    while (count > 0) {
        ssize_t n = send(fd, bytes, count, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += n;
        count -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, uint8_t *bytes, size_t count) {
    while (count > 0) {
        ssize_t n = recv(fd, bytes, count, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        bytes += n;
        count -= (size_t)n;
    }
    return 0;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t get16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t get32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Sends a frame (payload given) and reads the reply payload into a malloc'd buffer. */
static int round_trip(int fd, const uint8_t *payload, uint32_t length, uint8_t **reply, uint32_t *reply_length) {
    uint8_t header[4];
    put32(header, length);
    if (write_all(fd, header, 4) < 0 || write_all(fd, payload, length) < 0) return -1;
    if (read_all(fd, header, 4) < 0) return -1;
    uint32_t n = get32(header);
    if (n == 0 || n > MAX_PAYLOAD) {
        errno = EPROTO;
        return -1;
    }
    uint8_t *buffer = malloc(n);
    if (!buffer) {
        errno = ENOMEM;
        return -1;
    }
    if (read_all(fd, buffer, n) < 0) {
        free(buffer);
        return -1;
    }
    *reply = buffer;
    *reply_length = n;
    return 0;
}

static int connect_server(int cloexec) {
    const char *path = getenv("TAPELIB_HWSIM_SOCKET");
    if (!path) {
        errno = ENOENT;
        return -1;
    }
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        int saved = errno;
        real_close()(fd);
        /* No server behind the path: the device is not there. */
        errno = (saved == ENOENT || saved == ECONNREFUSED) ? ENXIO : saved;
        return -1;
    }
    return fd;
}

/* Asks the server how many devices it has; fills the peripheral type of `device`.
 * Returns 0, or -1 with errno ENOENT when the device does not exist. */
static int describe_device(int fd, int device, int *peripheral_type) {
    uint8_t request = MSG_DESCRIBE;
    uint8_t *reply = NULL;
    uint32_t length = 0;
    if (round_trip(fd, &request, 1, &reply, &length) < 0) return -1;
    int result = -1;
    errno = EPROTO;
    if (length >= 3 && reply[0] == MSG_DEVICES) {
        uint32_t count = get16(reply + 1);
        uint32_t offset = 3;
        errno = ENOENT;
        for (uint32_t i = 0; i < count && offset + 3 <= length; i++) {
            uint8_t type = reply[offset];
            uint32_t name_length = get16(reply + offset + 1);
            if ((int)i == device) {
                *peripheral_type = type;
                result = 0;
                break;
            }
            offset += 3 + name_length;
        }
    }
    free(reply);
    return result;
}

/* Opens a fake node: a fresh connection to the server, registered under its fd. */
static int open_fake(int device, int flags) {
    int fd = connect_server((flags & O_CLOEXEC) != 0);
    if (fd < 0) return -1;
    int type = 0;
    if (describe_device(fd, device, &type) < 0) {
        int saved = errno;
        real_close()(fd);
        errno = saved;
        return -1;
    }
    if (fd >= MAX_FDS) {
        real_close()(fd);
        errno = EMFILE;
        return -1;
    }
    pthread_mutex_lock(&table_lock);
    struct fake_node *node = &nodes[fd];
    pthread_mutex_init(&node->lock, NULL);
    node->device = device;
    node->peripheral_type = type;
    node->timeout_jiffies = 60 * 100;    /* the sg driver's default: 60 s */
    node->reserved_size = 32768;
    __atomic_store_n(&node->in_use, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&table_lock);
    return fd;
}

/* ---- SG_IO ------------------------------------------------------------------------------- */

/* Copies between the caller's buffer (flat or an iovec list) and `bytes`. */
static void copy_user_data(sg_io_hdr_t *hdr, uint8_t *bytes, uint32_t count, int to_user) {
    if (hdr->iovec_count == 0) {
        if (to_user) memcpy(hdr->dxferp, bytes, count);
        else memcpy(bytes, hdr->dxferp, count);
        return;
    }
    const struct iovec *iov = hdr->dxferp;
    uint32_t done = 0;
    for (unsigned i = 0; i < hdr->iovec_count && done < count; i++) {
        uint32_t n = (uint32_t)iov[i].iov_len;
        if (n > count - done) n = count - done;
        if (to_user) memcpy(iov[i].iov_base, bytes + done, n);
        else memcpy(bytes + done, iov[i].iov_base, n);
        done += n;
    }
}

/* Waits at most `timeout_ms` (0: the sg default of 60 s) for a reply, like the sg driver's
 * command timer. */
static void set_reply_timeout(int fd, unsigned int timeout_ms) {
    if (timeout_ms == 0) timeout_ms = 60000;
    struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* After a timed-out command the stream is out of step: put a fresh connection under the
 * same fd number, as the sg driver aborts the command and keeps the fd usable. */
static void reconnect_node(int fd) {
    int fresh = connect_server(0);
    if (fresh < 0) return;
    dup2(fresh, fd);
    real_close()(fresh);
}

static int fake_sg_io(int fd, struct fake_node *node, sg_io_hdr_t *hdr) {
    if (!hdr || hdr->interface_id != 'S') {
        errno = ENOSYS;
        return -1;
    }
    if (!hdr->cmdp || hdr->cmd_len == 0 || hdr->cmd_len > 16) {
        errno = EINVAL;
        return -1;
    }
    uint8_t direction;
    uint32_t length = hdr->dxfer_len;
    switch (hdr->dxfer_direction) {
    case SG_DXFER_NONE: direction = 0; length = 0; break;
    case SG_DXFER_TO_DEV: direction = 1; break;
    case SG_DXFER_FROM_DEV:
    case SG_DXFER_TO_FROM_DEV: direction = 2; break;
    default:
        errno = EINVAL;
        return -1;
    }
    if (length > 0 && !hdr->dxferp) {
        errno = EFAULT;
        return -1;
    }
    if (length > MAX_PAYLOAD - 64) {
        errno = ENOMEM;
        return -1;
    }
    /* type, device(2), direction, timeout ms(4), length(4), cdb length, cdb, data-out */
    uint32_t payload_length = 13 + hdr->cmd_len + (direction == 1 ? length : 0);
    uint8_t *payload = malloc(payload_length);
    if (!payload) {
        errno = ENOMEM;
        return -1;
    }
    payload[0] = MSG_EXECUTE;
    put16(payload + 1, (uint32_t)node->device);
    payload[3] = direction;
    put32(payload + 4, hdr->timeout);
    put32(payload + 8, length);
    payload[12] = hdr->cmd_len;
    memcpy(payload + 13, hdr->cmdp, hdr->cmd_len);
    if (direction == 1 && length > 0) copy_user_data(hdr, payload + 13 + hdr->cmd_len, length, 0);

    uint8_t *reply = NULL;
    uint32_t reply_length = 0;
    pthread_mutex_lock(&node->lock);
    set_reply_timeout(fd, hdr->timeout);
    int sent = round_trip(fd, payload, payload_length, &reply, &reply_length);
    int saved = errno;
    if (sent < 0 && (saved == EAGAIN || saved == EWOULDBLOCK)) reconnect_node(fd);
    pthread_mutex_unlock(&node->lock);
    free(payload);
    if (sent < 0 && (saved == EAGAIN || saved == EWOULDBLOCK)) {
        /* The command timer expired: what the sg driver reports for a timed-out command. */
        memset(&hdr->status, 0, sizeof *hdr - offsetof(sg_io_hdr_t, status));
        hdr->host_status = DID_TIME_OUT;
        hdr->driver_status = DRIVER_TIMEOUT;
        hdr->resid = (int)length;
        hdr->duration = hdr->timeout;
        hdr->info = SG_INFO_CHECK;
        return 0;
    }
    if (sent < 0) {
        errno = ENODEV;     /* the server went away: like a detached device */
        return -1;
    }

    hdr->status = 0;
    hdr->masked_status = 0;
    hdr->msg_status = 0;
    hdr->sb_len_wr = 0;
    hdr->host_status = 0;
    hdr->driver_status = 0;
    hdr->resid = 0;
    hdr->duration = 0;
    hdr->info = 0;

    if (reply[0] == MSG_FAILURE) {
        /* The server could not run the command: report it as the host adapter would. */
        uint32_t code_length = reply_length >= 3 ? get16(reply + 1) : 0;
        const char *code = (const char *)reply + 3;
        int fits = reply_length >= 3 + code_length;
        int gone = fits && code_length == 11 && memcmp(code, "device-gone", 11) == 0;
        int timed_out = fits && code_length == 9 && memcmp(code, "timed-out", 9) == 0;
        int busy = fits && code_length == 4 && memcmp(code, "busy", 4) == 0;
        free(reply);
        if (gone) {
            errno = ENODEV;
            return -1;
        }
        hdr->host_status = timed_out ? DID_TIME_OUT : busy ? DID_BUS_BUSY : DID_ERROR;
        if (timed_out) hdr->driver_status = DRIVER_TIMEOUT;
        hdr->resid = (int)length;
        hdr->info = SG_INFO_CHECK;
        return 0;
    }
    /* result: type, status, host(2), driver(2), residual(4), duration(4), sense len, sense,
     * data length(4), data */
    if (reply[0] != MSG_RESULT || reply_length < 15) {
        free(reply);
        errno = EPROTO;
        return -1;
    }
    uint8_t status = reply[1];
    uint32_t host = get16(reply + 2);
    uint32_t driver = get16(reply + 4);
    uint32_t duration = get32(reply + 10);
    uint32_t sense_length = reply[14];
    if (15 + sense_length + 4 > reply_length) {
        free(reply);
        errno = EPROTO;
        return -1;
    }
    const uint8_t *sense = reply + 15;
    uint32_t data_length = get32(reply + 15 + sense_length);
    const uint8_t *data = reply + 19 + sense_length;
    if (19 + sense_length + data_length > reply_length) {
        free(reply);
        errno = EPROTO;
        return -1;
    }
    if (direction == 2) {
        if (data_length > length) data_length = length;
        copy_user_data(hdr, (uint8_t *)data, data_length, 1);
        hdr->resid = (int)(length - data_length);
    } else if (direction == 1) {
        uint32_t residual = get32(reply + 6);
        hdr->resid = (int)(residual > length ? length : residual);
    }
    if (sense_length > 0 && hdr->sbp && hdr->mx_sb_len > 0) {
        uint32_t n = sense_length < hdr->mx_sb_len ? sense_length : hdr->mx_sb_len;
        memcpy(hdr->sbp, sense, n);
        hdr->sb_len_wr = (unsigned char)n;
        driver |= DRIVER_SENSE;
    }
    hdr->status = status;
    hdr->masked_status = (status >> 1) & 0x7F;
    hdr->host_status = (unsigned short)host;
    hdr->driver_status = (unsigned short)driver;
    hdr->duration = duration;
    if (status != 0 || host != 0 || (driver & 0x0F) != 0) hdr->info = SG_INFO_CHECK;
    free(reply);
    return 0;
}

/* ---- interposed functions ---------------------------------------------------------------- */

int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    struct fake_node *node = fake_node_for(fd);
    if (!node) return real_ioctl()(fd, request, arg);
    switch (request) {
    case SG_IO:
        return fake_sg_io(fd, node, arg);
    case SG_GET_VERSION_NUM:
        if (!arg) { errno = EFAULT; return -1; }
        *(int *)arg = SG_VERSION;
        return 0;
    case SG_SET_TIMEOUT:
        if (!arg) { errno = EFAULT; return -1; }
        if (*(int *)arg < 0) { errno = EIO; return -1; }
        node->timeout_jiffies = *(int *)arg;
        return 0;
    case SG_GET_TIMEOUT:
        return node->timeout_jiffies;
    case SG_EMULATED_HOST:
        if (!arg) { errno = EFAULT; return -1; }
        *(int *)arg = 0;
        return 0;
    case SG_GET_RESERVED_SIZE:
        if (!arg) { errno = EFAULT; return -1; }
        *(int *)arg = node->reserved_size;
        return 0;
    case SG_SET_RESERVED_SIZE:
        if (!arg) { errno = EFAULT; return -1; }
        if (*(int *)arg < 0) { errno = EINVAL; return -1; }
        node->reserved_size = *(int *)arg;
        return 0;
    case SG_GET_SCSI_ID: {
        if (!arg) { errno = EFAULT; return -1; }
        struct sg_scsi_id *id = arg;
        memset(id, 0, sizeof *id);
        id->host_no = FAKE_HOST_NO;
        id->channel = 0;
        id->scsi_id = node->device;
        id->lun = 0;
        id->scsi_type = node->peripheral_type;
        id->h_cmd_per_lun = 1;
        id->d_queue_depth = 1;
        return 0;
    }
    case SCSI_IOCTL_GET_IDLUN: {
        if (!arg) { errno = EFAULT; return -1; }
        /* dev_id: id | lun << 8 | channel << 16 | host << 24 (linux scsi_ioctl.c) */
        int *idlun = arg;
        idlun[0] = (node->device & 0xFF) | (FAKE_HOST_NO << 24);
        idlun[1] = FAKE_HOST_NO;
        return 0;
    }
    default:
        return real_ioctl()(fd, request, arg);
    }
}

#define OPEN_BODY(real_call) \
    int device = fake_device_index(path); \
    if (device >= 0) return open_fake(device, flags); \
    return real_call;

static mode_t mode_arg(int flags, va_list ap) {
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_BODY(real_open()(path, flags, mode))
}
int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_BODY(real_open64()(path, flags, mode))
}
int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_BODY(real_openat()(dirfd, path, flags, mode))
}
int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_BODY(real_openat64()(dirfd, path, flags, mode))
}
int __open_2(const char *path, int flags) { OPEN_BODY(real___open_2()(path, flags)) }
int __open64_2(const char *path, int flags) { OPEN_BODY(real___open64_2()(path, flags)) }
int __openat_2(int dirfd, const char *path, int flags) { OPEN_BODY(real___openat_2()(dirfd, path, flags)) }
int __openat64_2(int dirfd, const char *path, int flags) { OPEN_BODY(real___openat64_2()(dirfd, path, flags)) }

int close(int fd) {
    struct fake_node *node = fake_node_for(fd);
    if (node) {
        pthread_mutex_lock(&table_lock);
        __atomic_store_n(&node->in_use, 0, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&table_lock);
    }
    return real_close()(fd);
}

/* ---- stat family: fake nodes are character devices 21:N --------------------------------- */

static void fill_stat(struct stat *st, int device) {
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFCHR | 0660;
    st->st_rdev = makedev(SG_MAJOR, (unsigned)device);
    st->st_dev = makedev(0, 5);                     /* devtmpfs-like */
    st->st_ino = 0x5e000 + (ino_t)device;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    st->st_uid = getuid();
    st->st_gid = getgid();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    st->st_atim = now;
    st->st_mtim = now;
    st->st_ctim = now;
}

/* A fake path that names an existing device of the server: 0 and the device filled in. */
static int stat_fake_path(const char *path, struct stat *st) {
    int device = fake_device_index(path);
    if (device < 0) return 1;
    int fd = connect_server(1);
    if (fd < 0) return -1;
    int type = 0;
    int described = describe_device(fd, device, &type);
    int saved = errno;
    real_close()(fd);
    if (described < 0) {
        errno = saved;
        return -1;
    }
    fill_stat(st, device);
    return 0;
}

#define STAT_PATH_BODY(real_call) \
    int faked = stat_fake_path(path, st); \
    if (faked <= 0) return faked; \
    return real_call;

#define STAT_FD_BODY(real_call) \
    struct fake_node *node = fake_node_for(fd); \
    if (node) { fill_stat(st, node->device); return 0; } \
    return real_call;

int stat(const char *path, struct stat *st) { STAT_PATH_BODY(real_stat()(path, st)) }
int stat64(const char *path, struct stat64 *st64) {
    struct stat *st = (struct stat *)st64;   /* identical layout on LP64 */
    STAT_PATH_BODY(real_stat64()(path, st))
}
int lstat(const char *path, struct stat *st) { STAT_PATH_BODY(real_lstat()(path, st)) }
int lstat64(const char *path, struct stat64 *st64) {
    struct stat *st = (struct stat *)st64;
    STAT_PATH_BODY(real_lstat64()(path, st))
}
int fstat(int fd, struct stat *st) { STAT_FD_BODY(real_fstat()(fd, st)) }
int fstat64(int fd, struct stat64 *st64) {
    struct stat *st = (struct stat *)st64;
    STAT_FD_BODY(real_fstat64()(fd, st))
}

static int fstatat_common(fstatat_fn real, int dirfd, const char *path, struct stat *st, int flags) {
    if (path && path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
        struct fake_node *node = fake_node_for(dirfd);
        if (node) { fill_stat(st, node->device); return 0; }
    }
    int faked = stat_fake_path(path, st);
    if (faked <= 0) return faked;
    return real(dirfd, path, st, flags);
}
int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
    return fstatat_common(real_fstatat(), dirfd, path, st, flags);
}
int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) {
    return fstatat_common(real_fstatat64(), dirfd, path, (struct stat *)st, flags);
}

/* glibc < 2.33 entry points, still exported for old binaries. */
int __xstat(int ver, const char *path, struct stat *st) { STAT_PATH_BODY(real___xstat()(ver, path, st)) }
int __xstat64(int ver, const char *path, struct stat64 *st64) {
    struct stat *st = (struct stat *)st64;
    STAT_PATH_BODY(real___xstat64()(ver, path, st))
}
int __lxstat(int ver, const char *path, struct stat *st) { STAT_PATH_BODY(real___lxstat()(ver, path, st)) }
int __lxstat64(int ver, const char *path, struct stat64 *st64) {
    struct stat *st = (struct stat *)st64;
    STAT_PATH_BODY(real___lxstat64()(ver, path, st))
}
int __fxstat(int ver, int fd, struct stat *st) { STAT_FD_BODY(real___fxstat()(ver, fd, st)) }
int __fxstat64(int ver, int fd, struct stat64 *st64) {
    struct stat *st = (struct stat *)st64;
    STAT_FD_BODY(real___fxstat64()(ver, fd, st))
}
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags) {
    if (path && path[0] == '\0' && (flags & AT_EMPTY_PATH) && fake_node_for(dirfd)) {
        fill_stat(st, fake_node_for(dirfd)->device);
        return 0;
    }
    STAT_PATH_BODY(real___fxstatat()(ver, dirfd, path, st, flags))
}
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st64, int flags) {
    struct stat *st = (struct stat *)st64;
    if (path && path[0] == '\0' && (flags & AT_EMPTY_PATH) && fake_node_for(dirfd)) {
        fill_stat(st, fake_node_for(dirfd)->device);
        return 0;
    }
    STAT_PATH_BODY(real___fxstatat64()(ver, dirfd, path, st, flags))
}

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *out) {
    struct stat st;
    int faked = 1;
    if (path[0] == '\0' && (flags & AT_EMPTY_PATH) && fake_node_for(dirfd)) {
        fill_stat(&st, fake_node_for(dirfd)->device);
        faked = 0;
    } else {
        faked = stat_fake_path(path, &st);
    }
    if (faked < 0) return -1;
    if (faked > 0) return real_statx()(dirfd, path, flags, mask, out);
    memset(out, 0, sizeof *out);
    out->stx_mask = STATX_BASIC_STATS;
    out->stx_mode = (uint16_t)st.st_mode;
    out->stx_nlink = 1;
    out->stx_uid = st.st_uid;
    out->stx_gid = st.st_gid;
    out->stx_ino = st.st_ino;
    out->stx_blksize = 4096;
    out->stx_rdev_major = major(st.st_rdev);
    out->stx_rdev_minor = minor(st.st_rdev);
    out->stx_dev_major = major(st.st_dev);
    out->stx_dev_minor = minor(st.st_dev);
    return 0;
}
