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

    /// Waits for the lock. On a read-only file system nobody can migrate, and the lock is a
    /// no-op; any other failure (a lock file another user owns) is an error, not a silent skip.
    init(catalogPath path: String) throws(CatalogError) {
        fd = Glibc.open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        if fd < 0 {
            let code = errno
            guard code == EROFS else {
                throw .storage("cannot open the lock file \(path).lock: \(String(cString: strerror(code))) "
                               + "(it must be writable by the user the service runs as)")
            }
            return
        }
        while flock(fd, LOCK_EX) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            throw .storage("cannot lock \(path).lock: \(String(cString: strerror(code)))")
        }
    }

    func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }
}
