import Foundation
import HWSimServer
import SCSI
import Testing

/// tapelib's own changer and drive operations through SGTransport → libsgutils2 → sg shim →
/// hwsim server (run as `tapelib-hwsim sg-raw` subprocesses, which load the shim), and
/// through `HWSimSocketTransport` directly.
@Suite("tapelib's SG and socket paths against hwsim", .serialized)
struct TapelibPathConformanceTests {
    struct SGRawOutput {
        var status: UInt8?
        var residual: Int?
        var sense: [UInt8] = []
        var data: [UInt8] = []
        var errorCode: String?
        var errno: Int32?
    }

    /// `tapelib-hwsim sg-raw` under the shim; parses its `status=…`, `sense=…`, `data=…` lines.
    static func sgRaw(_ server: HWSimServerProcess, device: String, cdb: String, dataIn: Int? = nil,
                      dataOut: String? = nil, inPlace: Bool = false) async throws -> SGRawOutput {
        var arguments = ["sg-raw", "--device", device]
        if let dataIn { arguments += ["--in", String(dataIn)] }
        if let dataOut { arguments += ["--out", dataOut] }
        if inPlace { arguments.append("--in-place") }
        arguments += cdb.split(separator: " ").map(String.init)
        let output = try await ToolRunner.run(ConformancePaths.hwsimExecutable, arguments, environment: try await server.shimEnvironment())
        var parsed = SGRawOutput()
        for line in output.stdout.split(separator: "\n") {
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "status": parsed.status = UInt8(parts[1], radix: 16)
                case "residual": parsed.residual = Int(parts[1])
                case "sense": parsed.sense = hexBytes(parts[1])
                case "data": parsed.data = hexBytes(parts[1])
                case "error": parsed.errorCode = parts[1]
                case "errno": parsed.errno = Int32(parts[1])
                default: break
                }
            }
        }
        return parsed
    }

    static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex), next <= text.endIndex, index < text.endIndex {
            if let byte = UInt8(text[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        return bytes
    }

    @Test("INQUIRY, element status and MOVE MEDIUM through SGTransport and the shim")
    func changerThroughSG() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let ids = try await RealToolConformanceTests.identities(server)

        // INQUIRY with a larger allocation than the 36+ bytes returned: data and residual.
        let inquiry = try await Self.sgRaw(server, device: "/dev/hwsim/sg0", cdb: "12 00 00 00 ff 00", dataIn: 255)
        #expect(inquiry.status == 0)
        #expect(inquiry.data.count >= 36)
        #expect(inquiry.residual == 255 - inquiry.data.count)
        #expect(inquiry.data.first.map { $0 & 0x1F } == 0x08)                  // SPC-4 table 140: PDT 08h
        let vendor = try RealToolConformanceTests.value(ids, "changer.vendor")
        try #require(inquiry.data.count >= 16, "INQUIRY returned \(inquiry.data.count) bytes")
        #expect(String(decoding: inquiry.data[8..<16], as: UTF8.self).hasPrefix(vendor))

        // The first command that is not INQUIRY sees the power-on UNIT ATTENTION, as sense data.
        let first = try await Self.sgRaw(server, device: "/dev/hwsim/sg0", cdb: "00 00 00 00 00 00")
        #expect(first.status == 0x02)
        #expect(first.sense.count >= 14 && first.sense[2] & 0x0F == 0x06 && first.sense[12] == 0x29)

        // READ ELEMENT STATUS for storage elements matches the simulator's inventory.
        let inventory = try await RealToolConformanceTests.inventory(server)
        let status = try await Self.sgRaw(server, device: "/dev/hwsim/sg0",
                                    cdb: ElementStatusReader.cdb(type: 2).map { String(format: "%02x", $0) }.joined(separator: " "),
                                    dataIn: 0xFFFF)
        #expect(status.status == 0)
        let slots = try ElementStatusReader.parse(status.data).filter { $0.type == 2 }
        #expect(String(slots.count) == inventory["slots"])
        for (index, slot) in slots.enumerated() {
            #expect(slot.barcode == inventory["slot\(index + 1)"], "slot \(index + 1)")
        }

        // MOVE MEDIUM slot 1 → drive 0 (SMC-3 table 56) and the inventory follows.
        let slot1 = try #require(slots.first, "the changer reports no storage slots")
        let barcode = try #require(slot1.barcode, "storage slot 1 holds no labelled cartridge")
        let drives = try ElementStatusReader.parse(
            try await Self.sgRaw(server, device: "/dev/hwsim/sg0",
                           cdb: ElementStatusReader.cdb(type: 4).map { String(format: "%02x", $0) }.joined(separator: " "),
                           dataIn: 0xFFFF).data).filter { $0.type == 4 }
        let drive0 = try #require(drives.first, "no drives reported")
        let move = String(format: "a5 00 00 00 %02x %02x %02x %02x 00 00 00 00",
                          slot1.address >> 8, slot1.address & 0xFF, drive0.address >> 8, drive0.address & 0xFF)
        let moved = try await Self.sgRaw(server, device: "/dev/hwsim/sg0", cdb: move)
        #expect(moved.status == 0, "sense \(moved.sense)")
        #expect(try await RealToolConformanceTests.inventory(server)["drive0"] == barcode)

        // Moving from the now empty slot: ILLEGAL REQUEST 3Bh/0Eh (source element empty).
        let again = try await Self.sgRaw(server, device: "/dev/hwsim/sg0", cdb: move)
        #expect(again.status == 0x02)
        #expect(again.sense.count >= 14 && again.sense[2] & 0x0F == 0x05 && again.sense[12] == 0x3B && again.sense[13] == 0x0E)
    }

    @Test("drive write (an array and bytes lent in place), filemark, rewind and read through SGTransport; sense of an empty drive")
    func driveThroughSG() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        // An empty drive: NOT READY, medium not present 3Ah/00h (after the power-on UA).
        var ready = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "00 00 00 00 00 00")
        if ready.sense.count > 2 && ready.sense[2] & 0x0F == 0x06 {
            ready = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "00 00 00 00 00 00")
        }
        #expect(ready.status == 0x02 && ready.sense.count >= 14 && ready.sense[2] & 0x0F == 0x02 && ready.sense[12] == 0x3A)

        let (slot, drive) = try await Self.firstSlotAndDrive(server)
        let load = try await Self.sgRaw(server, device: "/dev/hwsim/sg0",
                                  cdb: String(format: "a5 00 00 00 %02x %02x %02x %02x 00 00 00 00",
                                              slot >> 8, slot & 0xFF, drive >> 8, drive & 0xFF))
        #expect(load.status == 0, "load sense \(load.sense)")
        try await Self.waitReady(server, device: "/dev/hwsim/sg1")
        let record = (0..<64).map { String(format: "%02x", $0 &* 3) }.joined()
        let write = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "0a 00 00 00 40 00", dataOut: record)
        #expect(write.status == 0, "write sense \(write.sense)")
        // A second record lent in place (DataTransfer.toDeviceInPlace, as a copy's block buffers are).
        let lent = (0..<32).map { String(format: "%02x", 0xA0 &+ $0) }.joined()
        let inPlace = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "0a 00 00 00 20 00", dataOut: lent, inPlace: true)
        #expect(inPlace.status == 0, "in-place write sense \(inPlace.sense)")
        #expect(try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "10 00 00 00 01 00").status == 0)
        #expect(try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "01 00 00 00 00 00").status == 0)
        // READ(6) variable, SILI, 128-byte buffer for a 64-byte record (SSC-4 table 25).
        let read = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "08 02 00 00 80 00", dataIn: 128)
        #expect(read.status == 0, "read sense \(read.sense)")
        #expect(read.data == Self.hexBytes(record))
        #expect(read.residual == 64)
        let second = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "08 02 00 00 80 00", dataIn: 128)
        #expect(second.status == 0 && second.data == Self.hexBytes(lent), "in-place record read back: \(second.data)")
        // Next: the filemark, NO SENSE with FILEMARK (SPC-4 table 49, byte 2 bit 7).
        let mark = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "08 02 00 00 80 00", dataIn: 128)
        #expect(mark.status == 0x02 && mark.sense.count >= 3 && mark.sense[2] & 0x80 != 0)
    }

    /// TEST UNIT READY until GOOD (past the power-on and medium-changed UNIT ATTENTIONs and a
    /// loading drive's NOT READY); a drive still not ready after 8 tries fails the test.
    static func waitReady(_ server: HWSimServerProcess, device: String) async throws {
        var last = SGRawOutput()
        for _ in 0..<8 {
            last = try await sgRaw(server, device: device, cdb: "00 00 00 00 00 00")
            if last.status == 0 { return }
        }
        Issue.record("\(device) not ready after 8 TEST UNIT READY: status \(String(describing: last.status)) sense \(last.sense)")
        throw HarnessError("\(device) not ready")
    }

    static func waitReady(_ transport: HWSimSocketTransport) async throws {
        var last: SCSIResult?
        for _ in 0..<8 {
            let result = try await transport.execute(SCSICommand(cdb: [0, 0, 0, 0, 0, 0]))
            if result.status == .good { return }
            last = result
        }
        Issue.record("device not ready after 8 TEST UNIT READY: \(String(describing: last?.senseData))")
        throw HarnessError("device not ready")
    }

    /// Element addresses of storage slot 1 and drive 0, read over the socket (clearing the
    /// changer's power-on UNIT ATTENTION on the way).
    static func firstSlotAndDrive(_ server: HWSimServerProcess) async throws -> (UInt16, UInt16) {
        let changer = server.transport(device: 0)
        defer { Task { await changer.close() } }
        _ = try await changer.execute(SCSICommand(cdb: [0, 0, 0, 0, 0, 0]))
        let status = try await changer.execute(SCSICommand(cdb: ElementStatusReader.cdb(type: 0),
                                                           transfer: .fromDevice(allocationLength: 0xFFFF)))
        let elements = try ElementStatusReader.parse(status.data)
        guard let slot = elements.first(where: { $0.type == 2 }), let drive = elements.first(where: { $0.type == 4 }) else {
            throw HarnessError("the changer reports no slots or drives")
        }
        return (slot.address, drive.address)
    }

    @Test("each command's timeout and data phase reach the device through sg_io_hdr and the shim")
    func timeoutsAndDirections() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        // Default: the command class's timeout (READ ELEMENT STATUS: robot, 300 s).
        _ = try await Self.sgRaw(server, device: "/dev/hwsim/sg0", cdb: "b8 12 00 00 00 10 00 00 10 00 00 00", dataIn: 4096)
        var last = try await Self.lastCommand(server, device: 0)
        #expect(last["timeoutMs"] == String(CommandClass.robot.timeout.components.seconds * 1000))
        #expect(last["direction"] == "in")
        #expect(last["length"] == "4096")
        // An explicit timeout, a data-out command.
        _ = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "15 10 00 00 04 00", dataOut: "00000000")
        last = try await Self.lastCommand(server, device: 1)
        #expect(last["timeoutMs"] == String(CommandClass.quick.timeout.components.seconds * 1000))
        #expect(last["direction"] == "out")
        #expect(last["length"] == "4")
        let output = try await ToolRunner.run(ConformancePaths.hwsimExecutable,
                                        ["sg-raw", "--device", "/dev/hwsim/sg1", "--timeout", "77", "00", "00", "00", "00", "00", "00"],
                                        environment: try await server.shimEnvironment())
        #expect(output.stdout.contains("status="))
        last = try await Self.lastCommand(server, device: 1)
        #expect(last["timeoutMs"] == "77000")
        #expect(last["direction"] == "none")
        #expect(last["cdb"] == "000000000000")
    }

    static func lastCommand(_ server: HWSimServerProcess, device: Int) async throws -> [String: String] {
        let reply = try await server.control(ControlRequest(op: "last-command", device: device))
        return try #require(reply.values, "last-command on device \(device): \(reply.message ?? "no values")")
    }

    @Test("a command slower than its timeout fails as timed out; the device answers the next command")
    func commandTimeout() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        #expect(try await server.control(ControlRequest(op: "latency", device: 1, args: ["ms": "2500"])).ok)
        let output = try await ToolRunner.run(ConformancePaths.hwsimExecutable,
                                              ["sg-raw", "--device", "/dev/hwsim/sg1", "--timeout", "1", "12", "00", "00", "00", "24", "00", "--in", "36"],
                                              environment: try await server.shimEnvironment())
        #expect(output.stdout.contains("error=timed-out"), "\(output.combined)")
        #expect(try await server.control(ControlRequest(op: "latency", device: 1, args: ["ms": "0"])).ok)
        let after = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "12 00 00 00 24 00", dataIn: 36)
        #expect(after.status == 0)
        #expect(after.data.count == 36)
    }

    @Test("injected sense comes back byte for byte through SG_IO; REQUEST SENSE gets 252 bytes of room")
    func injectedSense() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        _ = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "00 00 00 00 00 00")   // power-on UA
        let armed = try await server.control(ControlRequest(
            op: "fail-next", device: 1, args: ["opcode": "00", "key": "04", "asc": "44", "ascq": "00", "count": "1"]))
        #expect(armed.ok, "\(armed.message ?? "")")
        let failed = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "00 00 00 00 00 00")
        // Fixed format (SPC-4 table 48): response code 70h, key in byte 2, ASC/ASCQ in 12–13.
        #expect(failed.status == 0x02)
        #expect(failed.sense.first.map { $0 & 0x7F } == 0x70)
        #expect(failed.sense.count >= 14 && failed.sense[2] & 0x0F == 0x04 && failed.sense[12] == 0x44 && failed.sense[13] == 0x00)
        // The fault fired once: the next TUR reports the empty drive instead.
        let next = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "00 00 00 00 00 00")
        #expect(next.sense.count >= 14 && next.sense[12] == 0x3A)
        // REQUEST SENSE as a data-in command with the 252-byte maximum allocation.
        let requested = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "03 00 00 00 fc 00", dataIn: 252)
        #expect(requested.status == 0)
        #expect(requested.data.count >= 18)
        #expect(requested.residual == 252 - requested.data.count)
    }

    @Test("missing nodes, vanished devices and a stopped server map to typed transport errors")
    func transportErrors() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let driveCount = try RealToolConformanceTests.count(try await RealToolConformanceTests.inventory(server), "drives")
        try #require(driveCount > 0, "the profile has no drives")
        let missing = try await Self.sgRaw(server, device: "/dev/hwsim/sg\(driveCount + 1)", cdb: "00 00 00 00 00 00")
        #expect(missing.errorCode == "device-gone")
        #expect(missing.errno == ENOENT)

        let disconnected = try await server.control(ControlRequest(op: "disconnect", device: 1))
        #expect(disconnected.ok)
        let gone = try await Self.sgRaw(server, device: "/dev/hwsim/sg1", cdb: "12 00 00 00 24 00", dataIn: 36)
        #expect(gone.errorCode == "device-gone")
        #expect(gone.errno == ENODEV)

        server.stop()
        let stopped = try await Self.sgRaw(server, device: "/dev/hwsim/sg0", cdb: "12 00 00 00 24 00", dataIn: 36)
        #expect(stopped.errorCode == "device-gone")
        #expect(stopped.errno == ENXIO)
    }

    @Test("devices busy in slow commands run in parallel and leave the pool free")
    func slowDevicesDoNotStarve() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let driveCount = try RealToolConformanceTests.count(try await RealToolConformanceTests.inventory(server), "drives")
        try #require(driveCount >= 4, "the profile has \(driveCount) drives; the test needs 4")
        let devices = (1...driveCount).map { "/dev/hwsim/sg\($0)" }
        for device in 1...driveCount {
            #expect(try await server.control(ControlRequest(op: "latency", device: device, args: ["ms": "1500"])).ok)
        }
        let output = try await ToolRunner.run(ConformancePaths.hwsimExecutable,
                                        ["sg-load", "--devices", devices.joined(separator: ","), "--tick-ms", "10"],
                                        environment: try await server.shimEnvironment())
        #expect(output.exitCode == 0, "\(output.combined)")
        let values = Dictionary(uniqueKeysWithValues: output.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .compactMap { pair -> (String, Int)? in
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let value = Int(parts[1]) else { return nil }
                return (String(parts[0]), value)
            })
        #expect(values["completed"] == driveCount)
        let elapsed = try #require(values["elapsed_ms"], "sg-load printed no elapsed_ms: \(output.combined)")
        let ticks = try #require(values["ticks"], "sg-load printed no ticks: \(output.combined)")
        // Serialised they would take driveCount × 1.5 s; in parallel about 1.5 s.
        #expect(elapsed >= 1_500 && elapsed < 1_500 * driveCount - 1_000, "elapsed \(elapsed) ms")
        // A 10 ms ticker on the cooperative pool kept running while every device was blocked.
        #expect(ticks >= elapsed / 10 / 3, "ticks \(ticks) in \(elapsed) ms")
    }

    @Test("cartridge locations and tape contents survive a restart of the server")
    func persistence() async throws {
        let first = try HWSimServerProcess(profile: "midsize")
        try await first.start()
        let before = try await RealToolConformanceTests.inventory(first)
        let barcode = try #require(before["slot1"], "slot 1 is empty")
        let (slot, drive) = try await Self.firstSlotAndDrive(first)
        let changer = first.transport(device: 0)
        let move = try await changer.execute(SCSICommand(cdb: [0xA5, 0, 0, 0, UInt8(slot >> 8), UInt8(slot & 0xFF),
                                                               UInt8(drive >> 8), UInt8(drive & 0xFF), 0, 0, 0, 0]))
        #expect(move.status == .good)
        let tape = first.transport(device: 1)
        try await Self.waitReady(tape)
        let record: [UInt8] = Array("persisted record".utf8)
        #expect(try await tape.execute(SCSICommand(cdb: [0x0A, 0, 0, 0, UInt8(record.count), 0], transfer: .toDevice(record))).status == .good)
        #expect(try await tape.execute(SCSICommand(cdb: [0x10, 0, 0, 0, 1, 0])).status == .good)
        await tape.close()
        await changer.close()
        first.stop()

        let second = try HWSimServerProcess(profile: "midsize", stateDirectory: first.stateDirectory)
        try await second.start()
        defer { second.stop() }
        let after = try await RealToolConformanceTests.inventory(second)
        #expect(after["drive0"] == barcode)
        #expect(after["slot1"] == nil)
        let drive0 = second.transport(device: 1)
        try await Self.waitReady(drive0)
        #expect(try await drive0.execute(SCSICommand(cdb: [0x01, 0, 0, 0, 0, 0])).status == .good)
        let read = try await drive0.execute(SCSICommand(cdb: [0x08, 0x02, 0, 0, 0x80, 0], transfer: .fromDevice(allocationLength: 128)))
        #expect(read.data == record)
        await drive0.close()
    }

    @Test("hwsim:SOCKET#N opens device N through the socket")
    func socketTransport() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let transport = try makeHWSimTransport(url: "hwsim:\(server.socketPath)#1")
        let devices = try await transport.describe()
        #expect(devices.first?.peripheralType == 0x08)
        #expect(devices.dropFirst().allSatisfy { $0.peripheralType == 0x01 })
        let inquiry = try await transport.execute(SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0], transfer: .fromDevice(allocationLength: 36)))
        #expect(inquiry.data.first.map { $0 & 0x1F } == 0x01)
        let missing = try makeHWSimTransport(url: "hwsim:\(server.socketPath)#\(devices.count)")
        await #expect(throws: TransportError.self) {
            _ = try await missing.execute(SCSICommand(cdb: [0, 0, 0, 0, 0, 0]))
        }
        await transport.close()
    }
}
