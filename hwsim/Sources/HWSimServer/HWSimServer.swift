import Foundation
import SCSI

/// Serves a list of `SCSITransport`s on a Unix socket with the hwsim wire protocol.
///
/// Each connection gets its own OS thread with blocking reads; commands are forwarded to
/// the device's transport (which serialises per device). Built-in control ops: `ping`,
/// `latency` (an artificial per-device delay, for tests of slow commands), `last-command`
/// (what the device last received: CDB, direction, length, timeout); every other op
/// goes to the `HWSimControlHandler`.
public final class HWSimServer: Sendable {
    public let socketPath: String
    private let devices: [ServedDevice]
    private let control: (any HWSimControlHandler)?
    private let state = ServerState()
    /// Called after every command that reached a device (e.g. to persist simulator state).
    private let afterCommand: (@Sendable () async -> Void)?

    public init(socketPath: String, devices: [ServedDevice], control: (any HWSimControlHandler)? = nil,
                afterCommand: (@Sendable () async -> Void)? = nil) {
        self.socketPath = socketPath
        self.devices = devices
        self.control = control
        self.afterCommand = afterCommand
    }

    /// Binds the socket and starts accepting connections on a dedicated thread.
    public func start() throws(TransportError) {
        let fd = try UnixSocket.listen(path: socketPath)
        state.setListener(fd)
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "hwsim-accept"
        thread.start()
    }

    /// Stops accepting and closes open connections.
    public func stop() {
        for fd in state.takeAll() {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
        }
        unlink(socketPath)
    }

    private func acceptLoop(_ listener: Int32) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            guard state.addConnection(fd) else {
                Glibc.close(fd)
                return
            }
            let thread = Thread { [self] in
                serve(connection: fd)
                if state.removeConnection(fd) { Glibc.close(fd) }
            }
            thread.name = "hwsim-conn"
            thread.start()
        }
    }

    private func serve(connection fd: Int32) {
        while true {
            let payload: [UInt8]
            switch UnixSocket.readFrame(fd) {
            case .success(nil), .failure: return
            case .success(let bytes?): payload = bytes
            }
            let reply: WireMessage
            do {
                let request = try WireMessage.decode(payload: payload)
                reply = blockingAwait { await self.answer(request) }
            } catch {
                reply = .failure(code: "bad-request", message: error.description)
            }
            if UnixSocket.writeAll(fd, reply.encodeFrame()) != nil { return }
        }
    }

    /// The answer to one decoded request.
    func answer(_ request: WireMessage) async -> WireMessage {
        switch request {
        case .execute(let index, let command):
            guard Int(index) < devices.count else {
                return .failure(code: TransportError.Code.deviceGone.rawValue,
                                message: "no device \(index) (the server has \(devices.count))")
            }
            state.record(command, on: Int(index))
            let delay = state.latency(of: Int(index))
            let started = ContinuousClock.now
            if delay > .zero { try? await Task.sleep(for: delay) }
            do {
                let result = try await devices[Int(index)].transport.execute(command)
                await afterCommand?()
                let elapsed = ContinuousClock.now - started
                let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
                return .result(result, durationMilliseconds: UInt32(clamping: ms))
            } catch {
                return .failure(code: error.code.rawValue, message: error.message)
            }
        case .describe:
            return .devices(devices.map(\.info))
        case .control(let json):
            let reply = await handleControl(json)
            let encoded = (try? JSONEncoder().encode(reply)).map { Array($0) } ?? Array(#"{"ok":false}"#.utf8)
            return .controlReply(json: encoded)
        case .result, .devices, .controlReply, .failure:
            return .failure(code: "bad-request", message: "a reply type was sent as a request")
        }
    }

    private func handleControl(_ json: [UInt8]) async -> ControlReply {
        guard let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(json)) else {
            return .failed("control request is not valid JSON of the form {\"op\":…, \"device\":…, \"args\":{…}}")
        }
        switch request.op {
        case "ping":
            return ControlReply(ok: true, values: ["devices": String(devices.count)])
        case "latency":
            guard let device = request.device, device >= 0, device < devices.count,
                  let ms = request.arg("ms").flatMap(Int.init), ms >= 0 else {
                return .failed("latency needs device (0..<\(devices.count)) and args.ms")
            }
            state.setLatency(.milliseconds(ms), of: device)
            return ControlReply(ok: true)
        case "last-command":
            guard let device = request.device, let command = state.lastCommand(on: device) else {
                return .failed("last-command needs a device that has received a command")
            }
            let ms = command.timeout.components.seconds * 1000
                + command.timeout.components.attoseconds / 1_000_000_000_000_000
            let direction: String
            switch command.transfer {
            case .none: direction = "none"
            case .toDevice, .toDeviceInPlace: direction = "out"
            case .fromDevice: direction = "in"
            }
            return ControlReply(ok: true, values: [
                "cdb": command.cdb.map { String(format: "%02x", $0) }.joined(),
                "timeoutMs": String(ms), "direction": direction, "length": String(command.transfer.length),
            ])
        default:
            guard let control else { return .failed("unknown control op \(request.op)") }
            return await control.handle(request)
        }
    }
}

/// Runs async work from a plain OS thread and waits for it (the thread, not the pool, blocks).
func blockingAwait<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.set(await operation())
        done.signal()
    }
    done.wait()
    return box.take()
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func take() -> T {
        lock.withLock {
            guard let value else { preconditionFailure("blockingAwait: result read before it was set") }
            return value
        }
    }
}

/// Listener, connections and latencies, shared across the server's threads.
private final class ServerState: @unchecked Sendable {
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var connections: Set<Int32> = []
    private var stopped = false
    private var latencies: [Int: Duration] = [:]
    private var lastCommands: [Int: SCSICommand] = [:]

    func record(_ command: SCSICommand, on device: Int) { lock.withLock { lastCommands[device] = command } }
    func lastCommand(on device: Int) -> SCSICommand? { lock.withLock { lastCommands[device] } }

    func setListener(_ fd: Int32) { lock.withLock { listener = fd } }
    func addConnection(_ fd: Int32) -> Bool {
        lock.withLock {
            if stopped { return false }
            connections.insert(fd)
            return true
        }
    }
    func removeConnection(_ fd: Int32) -> Bool { lock.withLock { connections.remove(fd) != nil } }
    func takeAll() -> [Int32] {
        lock.withLock {
            stopped = true
            var all = Array(connections)
            connections.removeAll()
            if listener >= 0 { all.append(listener) }
            listener = -1
            return all
        }
    }
    func latency(of device: Int) -> Duration { lock.withLock { latencies[device] ?? .zero } }
    func setLatency(_ value: Duration, of device: Int) { lock.withLock { latencies[device] = value } }
}
