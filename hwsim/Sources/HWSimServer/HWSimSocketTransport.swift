import Foundation
import SCSI

/// The client side of the hwsim socket: device `device` of the server at `socketPath`, as a
/// `SCSITransport` (what `--device hwsim:SOCKET#N` opens).
///
/// One connection per transport; socket I/O blocks, so it runs on the transport's own
/// thread, and commands on one transport are serialised.
public final class HWSimSocketTransport: SCSITransport {
    public let socketPath: String
    public let device: UInt16
    private let connection: SocketConnection

    public init(socketPath: String, device: UInt16) {
        self.socketPath = socketPath
        self.device = device
        self.connection = SocketConnection(path: socketPath)
    }

    public func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let reply = try await connection.roundTrip(.execute(device: device, command: command))
        switch reply {
        case .result(let result, _): return result
        case .failure(let code, let message):
            throw TransportError(TransportError.Code(rawValue: code), "hwsim \(socketPath)#\(device): \(message)")
        default:
            throw TransportError(.io, "hwsim \(socketPath): unexpected reply \(reply.typeCode) to a command")
        }
    }

    /// The devices the server at `socketPath` serves, asked over a connection of its own that is
    /// closed again whatever the answer.
    public static func servedDevices(socketPath: String) async throws(TransportError) -> [ServedDeviceInfo] {
        let client = HWSimSocketTransport(socketPath: socketPath, device: 0)
        do {
            let devices = try await client.describe()
            await client.close()
            return devices
        } catch {
            await client.close()
            throw error
        }
    }

    /// The devices the server serves (0 = changer, 1… = drives).
    public func describe() async throws(TransportError) -> [ServedDeviceInfo] {
        let reply = try await connection.roundTrip(.describe)
        guard case .devices(let devices) = reply else {
            throw TransportError(.io, "hwsim \(socketPath): unexpected reply \(reply.typeCode) to describe")
        }
        return devices
    }

    /// Sends a control request (fault injection, virtual clock, latency).
    public func control(_ request: ControlRequest) async throws(TransportError) -> ControlReply {
        let json: [UInt8]
        do { json = Array(try JSONEncoder().encode(request)) } catch {
            throw TransportError(.io, "cannot encode control request: \(error)")
        }
        let reply = try await connection.roundTrip(.control(json: json))
        guard case .controlReply(let bytes) = reply,
              let decoded = try? JSONDecoder().decode(ControlReply.self, from: Data(bytes)) else {
            throw TransportError(.io, "hwsim \(socketPath): unexpected reply \(reply.typeCode) to control")
        }
        return decoded
    }

    public func close() async { await connection.close() }
}

/// Parses `hwsim:SOCKET#N` and returns the transport for device N of that server.
public func makeHWSimTransport(url: String) throws(TransportError) -> HWSimSocketTransport {
    guard url.hasPrefix("hwsim:") else {
        throw TransportError(.invalidDevice, "\(url): not an hwsim device URL (expected hwsim:SOCKET#N)")
    }
    let rest = url.dropFirst("hwsim:".count)
    guard let hash = rest.lastIndex(of: "#"), let index = UInt16(rest[rest.index(after: hash)...]),
          !rest[..<hash].isEmpty else {
        throw TransportError(.invalidDevice, "\(url): expected hwsim:SOCKET#N with N the device number (0 = changer, 1… = drives)")
    }
    return HWSimSocketTransport(socketPath: String(rest[..<hash]), device: index)
}

/// One connection to the server, driven from its own thread; connects lazily and once more
/// after a broken connection (the server may have been restarted).
final class SocketConnection: @unchecked Sendable {
    private let path: String
    private let worker: DeviceThread
    // Touched only on the worker thread.
    private var fd: Int32 = -1

    init(path: String) {
        self.path = path
        self.worker = DeviceThread(name: "hwsim:" + path)
    }

    deinit {
        let fd = self.fd
        if fd >= 0 { Glibc.close(fd) }
        worker.shutdown()
    }

    func roundTrip(_ message: WireMessage) async throws(TransportError) -> WireMessage {
        let frame = message.encodeFrame()
        let outcome: Result<WireMessage, TransportError> = await worker.run { [self] in
            switch exchange(frame) {
            case .success(let reply): return .success(reply)
            case .failure(let failure) where failure.staleConnection:
                // The server was restarted since the last command: the old connection broke
                // before it delivered anything, so sending once more on a new one is safe.
                return exchange(frame).mapError(\.error)
            case .failure(let failure): return .failure(failure.error)
            }
        }
        return try outcome.get()
    }

    private struct ExchangeFailure: Error {
        var error: TransportError
        var staleConnection = false
    }

    private func exchange(_ frame: [UInt8]) -> Result<WireMessage, ExchangeFailure> {
        let wasConnected = fd >= 0
        if fd < 0 {
            do { fd = try UnixSocket.connect(path: path) } catch { return .failure(ExchangeFailure(error: error)) }
        }
        if let code = UnixSocket.writeAll(fd, frame) {
            dropConnection()
            return .failure(ExchangeFailure(
                error: TransportError.fromSocketErrno(code, path: path, operation: "send"),
                staleConnection: wasConnected))
        }
        switch UnixSocket.readFrame(fd) {
        case .success(let payload?):
            do { return .success(try WireMessage.decode(payload: payload)) } catch {
                dropConnection()
                return .failure(ExchangeFailure(error: TransportError(.io, "hwsim \(path): \(error)")))
            }
        case .success(nil):
            dropConnection()
            return .failure(ExchangeFailure(
                error: TransportError(.deviceGone, "hwsim server at \(path) closed the connection"),
                staleConnection: wasConnected))
        case .failure(let error):
            dropConnection()
            return .failure(ExchangeFailure(error: TransportError(.io, "hwsim \(path): \(error)")))
        }
    }

    private func dropConnection() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func close() async {
        await worker.run { [self] in dropConnection() }
    }
}
