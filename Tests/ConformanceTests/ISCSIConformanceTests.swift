import Foundation
import ISCSITransport
import SCSI
import Testing

/// tapelib's iSCSI transport against tgt's virtual tape library (tgtd on a non-default
/// loopback port, built with tgtadm: two drives, one picker, four slots).
@Suite("iSCSI transport against tgt", .serialized,
       .enabled(if: ToolRunner.available("tgtd", "tgtadm", "tgtimg"), "tgt (tgtd, tgtadm, tgtimg) is not installed"),
          .enabled(if: TGTLibrary.canRun, "tgtd needs root: its control socket lives in /var/run/tgtd"))
struct ISCSIConformanceTests {
    @Test("changer: per-type element status, move, load and unload")
    func changer() async throws {
        let tgt = try TGTLibrary()
        defer { tgt.stop() }
        try await tgt.start()
        let changer = try await ISCSITransport.connect(url: tgt.url(lun: 3))
        defer { Task { await changer.close() } }

        let inquiry = try await changer.execute(SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0], transfer: .fromDevice(allocationLength: 36)))
        #expect(inquiry.status == .good)
        #expect(inquiry.data.first.map { $0 & 0x1F } == 0x08)

        // tgt answers an all-types request with overlapping pages: ask per element type.
        var slots = try await elements(changer, type: 2)
        let drives = try await elements(changer, type: 4)
        #expect(slots.map(\.address) == [4, 5, 6, 7])
        #expect(slots.map(\.barcode) == ["TAPE01L8", "TAPE02L8", "TAPE03L8", "TAPE04L8"])
        #expect(drives.map(\.address) == [1, 2])
        #expect(drives.allSatisfy { !$0.full })

        // MOVE MEDIUM slot 4 → drive 1 (SMC-3 table 56: transport, source, destination).
        let load = try await changer.execute(SCSICommand(cdb: [0xA5, 0, 0, 3, 0, 4, 0, 1, 0, 0, 0, 0]))
        #expect(load.status == .good, "load sense: \(load.sense)")
        let loaded = try await elements(changer, type: 4)
        #expect(loaded.first?.full == true)
        #expect(loaded.first?.barcode == "TAPE01L8")
        #expect(loaded.first?.sourceAddress == 4)

        // Slot → slot transfer, then unload drive 1 back to its source slot.
        let transfer = try await changer.execute(SCSICommand(cdb: [0xA5, 0, 0, 3, 0, 5, 0, 4, 0, 0, 0, 0]))
        #expect(transfer.status == .good)
        let unloadToTaken = try await changer.execute(SCSICommand(cdb: [0xA5, 0, 0, 3, 0, 1, 0, 4, 0, 0, 0, 0]))
        #expect(unloadToTaken.status == .checkCondition, "moving into a full slot must fail")
        #expect(unloadToTaken.sense.count >= 14 && unloadToTaken.sense[2] & 0x0F == 0x05)
        let unload = try await changer.execute(SCSICommand(cdb: [0xA5, 0, 0, 3, 0, 1, 0, 5, 0, 0, 0, 0]))
        #expect(unload.status == .good)
        slots = try await elements(changer, type: 2)
        #expect(slots.map(\.barcode) == ["TAPE02L8", "TAPE01L8", "TAPE03L8", "TAPE04L8"])
    }

    @Test("drive: write (an array and bytes lent in place), filemarks, rewind, read back")
    func drive() async throws {
        let tgt = try TGTLibrary()
        defer { tgt.stop() }
        try await tgt.start()
        let changer = try await ISCSITransport.connect(url: tgt.url(lun: 3))
        let load = try await changer.execute(SCSICommand(cdb: [0xA5, 0, 0, 3, 0, 4, 0, 1, 0, 0, 0, 0]))
        #expect(load.status == .good)
        await changer.close()

        let drive = try await ISCSITransport.connect(url: tgt.url(lun: 1))
        defer { Task { await drive.close() } }
        // The first command after a load reports the medium change: clear unit attentions.
        for _ in 0..<4 {
            let ready = try await drive.execute(SCSICommand(cdb: [0, 0, 0, 0, 0, 0]))
            if ready.status == .good { break }
        }
        let record = (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        // WRITE(6) variable block (SSC-4 table 47): FIXED=0, transfer length = 512 bytes.
        let write = try await drive.execute(SCSICommand(cdb: [0x0A, 0, 0, 0x02, 0x00, 0], transfer: .toDevice(record)))
        #expect(write.status == .good, "write sense: \(write.sense)")
        // A second record lent in place (DataTransfer.toDeviceInPlace, as a copy's block buffers are).
        let lent = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 4_096)
        defer { lent.deallocate() }
        for index in 0..<256 { lent[index] = UInt8(truncatingIfNeeded: 0xC0 &+ index) }
        let inPlace = try await drive.execute(SCSICommand(cdb: [0x0A, 0, 0, 0x01, 0x00, 0],
                                                          transfer: .toDeviceInPlace(BorrowedBytes(UnsafeRawBufferPointer(lent)))))
        #expect(inPlace.status == .good, "in-place write sense: \(inPlace.sense)")
        let filemark = try await drive.execute(SCSICommand(cdb: [0x10, 0, 0, 0, 1, 0]))
        #expect(filemark.status == .good)
        let rewind = try await drive.execute(SCSICommand(cdb: [0x01, 0, 0, 0, 0, 0]))
        #expect(rewind.status == .good)
        // READ(6) variable with SILI (SSC-4 table 25), allocation larger than the record.
        let read = try await drive.execute(SCSICommand(cdb: [0x08, 0x02, 0, 0x04, 0x00, 0],
                                                        transfer: .fromDevice(allocationLength: 1024)))
        // tgt ignores SILI: it reports the short record as NO SENSE with ILI and the length
        // difference (512) in INFORMATION (SPC-4 table 49); the data is delivered either way.
        let iliForShortRecord = read.status == .checkCondition && read.sense.count >= 7
            && read.sense[2] & 0x2F == 0x20 && read.sense[3...6].elementsEqual([0, 0, 2, 0])
        #expect(read.status == .good || iliForShortRecord, "read sense: \(read.sense)")
        #expect(read.data == record)
        #expect(read.residual == 512)
        let second = try await drive.execute(SCSICommand(cdb: [0x08, 0x02, 0, 0x04, 0x00, 0],
                                                          transfer: .fromDevice(allocationLength: 1024)))
        // (tgt pads this one to the allocation length: its first 256 bytes are the record.)
        #expect(Array(second.data.prefix(256)) == (0..<256).map { UInt8(truncatingIfNeeded: 0xC0 &+ $0) }, "in-place record read back")
        // The next read hits the filemark: NO SENSE with the FILEMARK bit (SPC-4 table 49).
        let mark = try await drive.execute(SCSICommand(cdb: [0x08, 0x02, 0, 0x04, 0x00, 0],
                                                        transfer: .fromDevice(allocationLength: 1024)))
        #expect(mark.status == .checkCondition)
        #expect(mark.sense.count >= 3 && mark.sense[2] & 0x80 != 0)
    }

    @Test("a target that is not listening is reported as gone")
    func noTarget() async {
        do {
            _ = try await ISCSITransport.connect(url: "iscsi://127.0.0.1:1/iqn.2026-11.org.tapelib:none/1")
            Issue.record("login to a closed port succeeded")
        } catch {
            #expect(error.code == .deviceGone)
        }
    }

    private func elements(_ changer: ISCSITransport, type: UInt8) async throws -> [ElementStatusEntry] {
        let result = try await changer.execute(SCSICommand(cdb: ElementStatusReader.cdb(type: type),
                                                           transfer: .fromDevice(allocationLength: 0xFFFF)))
        #expect(result.status == .good, "READ ELEMENT STATUS type \(type): sense \(result.sense)")
        return try ElementStatusReader.parse(result.data).filter { $0.type == type }
    }
}

/// A tgtd instance with its own control number, loopback port and media directory.
final class TGTLibrary: @unchecked Sendable {
    let control: Int
    let port: Int
    let directory: URL
    let target = "iqn.2026-11.org.tapelib:vtl"

    /// tgtd creates its control socket under /var/run/tgtd, which needs root.
    static var canRun: Bool { getuid() == 0 }
    private var process: Process?

    init() throws {
        control = Int.random(in: 100...999)
        port = Int.random(in: 20_000...29_999)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-tgt-\(control)-\(port)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func url(lun: Int) -> String { "iscsi://127.0.0.1:\(port)/\(target)/\(lun)" }

    func start() async throws {
        for index in 1...4 {
            let barcode = "TAPE0\(index)L8"
            try check(await ToolRunner.run("tgtimg", ["--op", "new", "--device-type", "tape", "--barcode", barcode,
                                                 "--size", "16", "--type", "data",
                                                 "--file", directory.appendingPathComponent(barcode).path]))
        }
        let smc = directory.appendingPathComponent("smc")
        try Data(count: 1024).write(to: smc)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ToolRunner.find("tgtd") ?? "/usr/sbin/tgtd")
        process.arguments = ["-f", "-C", String(control), "--iscsi", "portal=127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Wait for the management socket.
        var ready = false
        for _ in 0..<100 where !ready {
            try await Task.sleep(for: .milliseconds(50))
            ready = (try? await ToolRunner.run("tgtadm", ["-C", String(control), "--op", "show", "--mode", "system"]))?.exitCode == 0
        }
        guard ready else { throw HarnessError("tgtd did not start") }
        try await admin(["--op", "new", "--mode", "target", "--tid", "1", "-T", target])
        for lun in 1...2 {
            try await admin(["--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", String(lun),
                       "-b", directory.appendingPathComponent("TAPE0\(lun)L8").path, "--device-type=tape"])
            try await admin(["--mode", "logicalunit", "--op", "update", "--tid", "1", "--lun", String(lun), "--params", "online=0"])
        }
        try await admin(["--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "3", "-b", smc.path, "--device-type=changer"])
        let update = ["--mode", "logicalunit", "--op", "update", "--tid", "1", "--lun", "3", "--params"]
        try await admin(update + ["media_home=" + directory.path])
        try await admin(update + ["element_type=4,start_address=1,quantity=2"])
        try await admin(update + ["element_type=4,address=1,tid=1,lun=1"])
        try await admin(update + ["element_type=4,address=2,tid=1,lun=2"])
        try await admin(update + ["element_type=1,start_address=3,quantity=1"])
        try await admin(update + ["element_type=2,start_address=4,quantity=4"])
        for index in 1...4 {
            try await admin(update + ["element_type=2,address=\(3 + index),barcode=TAPE0\(index)L8,sides=1"])
        }
        try await admin(["--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL"])
    }

    private func admin(_ arguments: [String]) async throws {
        try check(await ToolRunner.run("tgtadm", ["-C", String(control), "--lld", "iscsi"] + arguments))
    }

    private func check(_ output: ToolOutput) throws {
        guard output.exitCode == 0 else { throw HarnessError("tgt setup failed: \(output.combined)") }
    }

    func stop() {
        if let process, process.isRunning {
            // tgtd ignores SIGTERM while it has targets, and keeps no state we need.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
        try? FileManager.default.removeItem(at: directory)
    }
}
