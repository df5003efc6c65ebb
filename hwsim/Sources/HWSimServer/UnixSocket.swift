import Foundation
import SCSI

/// Blocking Unix-domain stream socket calls. Call them only from dedicated threads
/// (a `DeviceThread`-like worker or the server's connection threads), never from the
/// cooperative pool.
public enum UnixSocket {
    /// Connects to the server socket at `path`.
    public static func connect(path: String) throws(TransportError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .fromSocketErrno(errno, path: path, operation: "socket") }
        var address = try makeAddress(path)
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if status != 0 {
            let code = errno
            Glibc.close(fd)
            throw .fromSocketErrno(code, path: path, operation: "connect")
        }
        return fd
    }

    /// Binds and listens at `path`, replacing a stale socket file.
    public static func listen(path: String) throws(TransportError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .fromSocketErrno(errno, path: path, operation: "socket") }
        unlink(path)
        var address = try makeAddress(path)
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if status != 0 || Glibc.listen(fd, 64) != 0 {
            let code = errno
            Glibc.close(fd)
            throw .fromSocketErrno(code, path: path, operation: "bind/listen")
        }
        return fd
    }

    private static func makeAddress(_ path: String) throws(TransportError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw TransportError(.invalidDevice, "\(path): socket path longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[bytes.count] = 0
        }
        return address
    }

    /// Writes all of `bytes`, retrying EINTR and short writes.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }

    /// Reads exactly `count` bytes; nil at a clean end of stream before the first byte.
    static func readExactly(_ fd: Int32, _ count: Int) -> Result<[UInt8]?, WireError> {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = buffer.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress.map { $0 + offset }, count - offset, 0)
            }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(WireError("read failed: \(String(cString: strerror(errno)))"))
            }
            if got == 0 {
                return offset == 0 ? .success(nil) : .failure(WireError("connection closed mid-frame"))
            }
            offset += got
        }
        return .success(buffer)
    }

    /// Reads one frame's payload; nil when the peer closed the connection between frames.
    public static func readFrame(_ fd: Int32) -> Result<[UInt8]?, WireError> {
        switch readExactly(fd, 4) {
        case .failure(let error): return .failure(error)
        case .success(nil): return .success(nil)
        case .success(let header?):
            let length = header.reduce(0) { $0 << 8 | Int($1) }
            guard length > 0, length <= WireMessage.maximumPayload else {
                return .failure(WireError("frame length \(length) out of range"))
            }
            switch readExactly(fd, length) {
            case .failure(let error): return .failure(error)
            case .success(nil): return .failure(WireError("connection closed mid-frame"))
            case .success(let payload?): return .success(payload)
            }
        }
    }
}

extension TransportError {
    static func fromSocketErrno(_ code: Int32, path: String, operation: String) -> TransportError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT, ECONNREFUSED, ECONNRESET, EPIPE, ENOTCONN:
            return TransportError(.deviceGone, "hwsim server at \(path) is not reachable (\(operation): \(reason)); is `tapelib-hwsim serve` running?", errno: code)
        case EACCES, EPERM:
            return TransportError(.permissionDenied, "hwsim socket \(path): permission denied (\(operation): \(reason))", errno: code)
        default:
            return TransportError(.io, "hwsim socket \(path): \(operation) failed: \(reason)", errno: code)
        }
    }
}
