import Foundation
import HWSim
import HWSimServer
import SCSI
import Testing

/// The server side of the socket protocol, in process over a simulated library: bad frames,
/// unknown devices and control requests get the documented answers (hwsim/SERVER.md).
@Suite("hwsim server protocol handling")
struct HWSimServerProtocolTests {
    /// An in-process server over the autoloader profile; the caller stops it.
    static func startServer() throws -> (HWSimServer, String) {
        let library = try SimulatedLibrary(profile: .named("autoloader"))
        let path = "/tmp/hwsim-proto-\(UUID().uuidString.prefix(10)).sock"
        var devices = [ServedDevice(info: ServedDeviceInfo(peripheralType: 8, name: "changer"), transport: library.changerTransport)]
        for index in 0..<library.driveCount {
            devices.append(ServedDevice(info: ServedDeviceInfo(peripheralType: 1, name: "drive \(index)"),
                                        transport: library.driveTransport(index)))
        }
        let server = HWSimServer(socketPath: path, devices: devices)
        try server.start()
        return (server, path)
    }

    /// One raw request/reply on a fresh connection, on a thread of its own (blocking socket I/O).
    static func exchange(_ path: String, frames: [[UInt8]]) async throws -> [Result<[UInt8]?, WireError>] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let fd = try UnixSocket.connect(path: path)
                    defer { close(fd) }
                    var replies: [Result<[UInt8]?, WireError>] = []
                    for frame in frames {
                        _ = UnixSocket.writeAll(fd, frame)
                        replies.append(UnixSocket.readFrame(fd))
                    }
                    continuation.resume(returning: replies)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    @Test("a malformed request is answered with bad-request and the connection stays usable")
    func malformedRequest() async throws {
        let (server, path) = try Self.startServer()
        defer { server.stop() }
        do {
            let garbage: [UInt8] = [0, 0, 0, 3, 0x01, 0x00, 0x00]        // EXECUTE cut after the device
            let replies = try await Self.exchange(path, frames: [garbage, WireMessage.describe.encodeFrame()])
            guard case .success(let first?) = replies.first, case .success(let second?) = replies.last else {
                Issue.record("no replies: \(replies)")
                return
            }
            guard case .failure(let code, _) = try WireMessage.decode(payload: first) else {
                Issue.record("expected FAILURE"); return
            }
            #expect(code == "bad-request")
            guard case .devices(let devices) = try WireMessage.decode(payload: second) else {
                Issue.record("expected DEVICES"); return
            }
            #expect(devices.count == 2)
        }
    }

    @Test("a frame length out of range closes the connection")
    func oversizedFrame() async throws {
        let (server, path) = try Self.startServer()
        defer { server.stop() }
        do {
            let replies = try await Self.exchange(path, frames: [[0xFF, 0xFF, 0xFF, 0xFF, 0x02]])
            // Closed (EOF, or a reset because the rest of the frame was never read): no reply.
            if case .success(let payload?) = replies.first {
                Issue.record("the server answered an out-of-range frame: \(payload)")
            }
            #expect(replies.count == 1)
        }
    }

    @Test("a command for a device the server does not have is a device-gone failure")
    func unknownDevice() async throws {
        let (server, path) = try Self.startServer()
        defer { server.stop() }
        do {
            let transport = HWSimSocketTransport(socketPath: path, device: 7)
            do {
                _ = try await transport.execute(SCSICommand(cdb: [0, 0, 0, 0, 0, 0]))
                Issue.record("device 7 answered")
            } catch {
                #expect(error.code == .deviceGone)
            }
            await transport.close()
        }
    }

    @Test("control: unknown ops and missing arguments are refused; latency is validated")
    func controlValidation() async throws {
        let (server, path) = try Self.startServer()
        defer { server.stop() }
        do {
            let client = HWSimSocketTransport(socketPath: path, device: 0)
            #expect(try await client.control(ControlRequest(op: "ping")).values?["devices"] == "2")
            #expect(try await client.control(ControlRequest(op: "no-such-op")).ok == false)
            #expect(try await client.control(ControlRequest(op: "latency", device: 9, args: ["ms": "5"])).ok == false)
            #expect(try await client.control(ControlRequest(op: "latency", device: 1)).ok == false)
            #expect(try await client.control(ControlRequest(op: "latency", device: 1, args: ["ms": "0"])).ok)
            await client.close()
        }
    }

    @Test("a restarted server is reached again by the same client transport")
    func reconnectAfterRestart() async throws {
        let library = try SimulatedLibrary(profile: .named("autoloader"))
        let path = "/tmp/hwsim-proto-\(UUID().uuidString.prefix(10)).sock"
        let devices = [ServedDevice(info: ServedDeviceInfo(peripheralType: 8, name: "changer"), transport: library.changerTransport)]
        let first = HWSimServer(socketPath: path, devices: devices)
        try first.start()
        let client = HWSimSocketTransport(socketPath: path, device: 0)
        let inquiry = SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0], transfer: .fromDevice(allocationLength: 36))
        #expect(try await client.execute(inquiry).status == .good)
        first.stop()
        let second = HWSimServer(socketPath: path, devices: devices)
        try second.start()
        defer { second.stop() }
        #expect(try await client.execute(inquiry).status == .good)
        await client.close()
    }
}
