#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises opening a catalog file between processes that open it at the same moment (the
/// service and a `tapelib task` command on a new state directory): switching a new file to WAL
/// can fail with "database is locked" (no busy wait applies to it), and GRDB reads which
/// migrations are applied before it starts them, so two processes could both run the first.
/// An advisory lock on `<catalog>.lock` covers opening and migrating together. Opening happens
/// off the cooperative pool (see `open`).
struct MigrationLock {
    private let fd: Int32

    /// Waits for the lock; without a lock file (a read-only directory) nobody else can migrate
    /// there either, and the lock is a no-op.
    init(catalogPath path: String) {
        fd = Glibc.open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 {
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
    }

    func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }
}
