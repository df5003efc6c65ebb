import CSGUtils
import Foundation
import SCSI

/// SG_IO on a Linux SCSI generic node (`/dev/sgN`) through libsgutils2's sg_pt API.
///
/// Every blocking call (open, the SG_IO ioctl, close) runs on the device's own `DeviceThread`;
/// commands on one transport are therefore serialised, and transports of different devices
/// run in parallel without occupying the cooperative pool.
public final class SGTransport: SCSITransport {
    public let path: String
    /// The thread every blocking call of this device runs on; a device actor can use it as its
    /// executor (`thread.asUnownedSerialExecutor()`) to share it.
    public let thread: DeviceThread
    private let handle: FileHandleBox

    private init(path: String, thread: DeviceThread, fd: Int32) {
        self.path = path
        self.thread = thread
        self.handle = FileHandleBox(fd: fd)
    }

    /// A transport that opens `path` on its device thread before its first command, for
    /// callers that cannot await (a synchronous device factory). Open errors (device gone,
    /// permission denied, busy) are thrown by that first `execute`.
    public init(path: String) {
        self.path = path
        self.thread = DeviceThread(name: "sg:" + path)
        self.handle = FileHandleBox(pendingPath: path)
    }

    /// Opens `path` O_RDWR (the sg driver filters commands only on read-only opens), with
    /// O_NONBLOCK during open so a tape node cannot block, then clears O_NONBLOCK.
    public static func open(path: String) async throws(TransportError) -> SGTransport {
        let thread = DeviceThread(name: "sg:" + path)
        let opened: Result<Int32, TransportError> = await thread.run { openNode(path) }
        switch opened {
        case .success(let fd): return SGTransport(path: path, thread: thread, fd: fd)
        case .failure(let error):
            thread.shutdown()
            throw error
        }
    }

    /// The blocking open, on the device thread; EINTR is retried.
    static func openNode(_ path: String) -> Result<Int32, TransportError> {
        var fd: Int32 = -1
        repeat {
            fd = tapelib_open(path, O_RDWR | O_NONBLOCK)
        } while fd < 0 && errno == EINTR
        if fd < 0 { return .failure(.fromErrno(errno, path: path, operation: "open")) }
        let flags = tapelib_fcntl_getfl(fd)
        if flags < 0 || tapelib_fcntl_setfl(fd, flags & ~O_NONBLOCK) < 0 {
            let code = errno
            Glibc.close(fd)
            return .failure(.fromErrno(code, path: path, operation: "fcntl(F_SETFL)"))
        }
        return .success(fd)
    }

    /// Closes the node after the commands already submitted have finished.
    public func close() async {
        let handle = self.handle
        await thread.run { handle.close() }
        thread.shutdown()
    }

    deinit {
        let handle = self.handle
        // Closing can block while a command is in flight: do it on the device thread.
        thread.post { handle.close() }
        thread.shutdown()
    }

    public func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let handle = self.handle
        let path = self.path
        let outcome: Result<SCSIResult, TransportError> = await thread.run {
            switch handle.descriptor() {
            case .success(let fd): return SGPassThrough.execute(command, fd: fd, path: path)
            case .failure(let error): return .failure(error)
            }
        }
        return try outcome.get()
    }
}

/// The file descriptor, touched only on the device thread.
final class FileHandleBox: @unchecked Sendable {
    private var fd: Int32?
    /// Set for a transport that opens lazily, until the open has been tried.
    private var pendingPath: String?
    init(fd: Int32) { self.fd = fd }
    init(pendingPath: String) { self.pendingPath = pendingPath }

    /// The open descriptor, opening it first for a lazy transport (a failed open is retried
    /// by the next command: the device may come back).
    func descriptor() -> Result<Int32, TransportError> {
        if let fd { return .success(fd) }
        guard let path = pendingPath else {
            return .failure(TransportError(.deviceGone, "device was closed"))
        }
        let opened = SGTransport.openNode(path)
        if case .success(let fd) = opened { self.fd = fd }
        return opened
    }

    func close() {
        if let fd { Glibc.close(fd) }
        fd = nil
        pendingPath = nil
    }
}
