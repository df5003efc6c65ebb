import Foundation
import HWSimServer
import SCSI
import Testing

/// Real clients (mtx, sg3_utils, stenc) against a tapelib-hwsim server through the sg shim:
/// their parsed output must match what the simulator says it holds.
@Suite("mtx and sg3_utils against hwsim", .serialized)
struct RealToolConformanceTests {
    /// Inventory keys (`slotN`, `mailN`, `driveN`, counts) from the server.
    static func inventory(_ server: HWSimServerProcess) async throws -> [String: String] {
        let reply = try await server.control(ControlRequest(op: "inventory"))
        try #require(reply.ok, "inventory: \(reply.message ?? "")")
        return try #require(reply.values, "the inventory reply has no values")
    }

    static func identities(_ server: HWSimServerProcess) async throws -> [String: String] {
        let reply = try await server.control(ControlRequest(op: "identities"))
        try #require(reply.ok, "identities: \(reply.message ?? "")")
        return try #require(reply.values, "the identities reply has no values")
    }

    static func started(_ profile: String = "midsize") async throws -> HWSimServerProcess {
        let server = try HWSimServerProcess(profile: profile)
        try await server.start()
        return server
    }

    /// Consumes pending UNIT ATTENTIONs (power on, medium changed) the way an initiator does
    /// after a reset: mtx and sg3_utils report them instead of retrying (sg_turs exits 6 for one).
    static func settle(_ server: HWSimServerProcess, _ node: String) async throws {
        for _ in 0..<8 {
            if try await server.runTool("sg_turs", [node]).exitCode != 6 { return }
        }
        Issue.record("\(node) still reports UNIT ATTENTION after 8 TEST UNIT READY")
        throw HarnessError("\(node) did not settle")
    }

    /// A count from the inventory (`slots`, `mailSlots`, `drives`); missing or not a number fails.
    static func count(_ inventory: [String: String], _ key: String) throws -> Int {
        try #require(inventory[key].flatMap { Int($0) }, "the inventory has no \(key) count: \(inventory)")
    }

    /// A value of the identities or inventory reply; missing fails.
    static func value(_ values: [String: String], _ key: String) throws -> String {
        try #require(values[key], "no \(key) in \(values)")
    }

    static func full(_ inventory: [String: String]) -> [String: String] {
        inventory.filter { $0.key.hasPrefix("slot") && $0.key != "slots" || $0.key.hasPrefix("mail") && $0.key != "mailSlots"
            || $0.key.hasPrefix("drive") && $0.key != "drives" }
    }

    @Test("mtx status lists every slot, drive and barcode the simulator holds")
    func mtxStatus() async throws {
        try ToolRunner.require("mtx")
        let server = try await Self.started()
        defer { server.stop() }
        let output = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "status"])
        #expect(output.exitCode == 0, "\(output.combined)")
        let status = try MtxStatus(output.stdout)
        let inventory = try await Self.inventory(server)
        #expect(String(status.driveCount) == inventory["drives"])
        #expect(String(status.importExportCount) == inventory["mailSlots"])
        #expect(String(status.slotCount - status.importExportCount) == inventory["slots"])
        #expect(status.slots.count == status.slotCount, "mtx printed a line for every slot")
        #expect(status.drives.count == status.driveCount)
        #expect(status.inventoryKeys() == Self.full(inventory))
    }

    @Test("mtx inquiry, tapeinfo and loaderinfo report the profile's identities")
    func mtxIdentity() async throws {
        try ToolRunner.require("mtx", "tapeinfo", "loaderinfo", "sg_turs")
        let server = try await Self.started()
        defer { server.stop() }
        let ids = try await Self.identities(server)
        try await Self.settle(server, "/dev/hwsim/sg0")
        let inquiry = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "inquiry"])
        #expect(inquiry.exitCode == 0)
        #expect(inquiry.stdout.contains("Product Type: Medium Changer"))
        #expect(inquiry.stdout.contains("Vendor ID: '\(Self.padded(try Self.value(ids, "changer.vendor"), 8))'"))
        #expect(inquiry.stdout.contains("Product ID: '\(Self.padded(try Self.value(ids, "changer.product"), 16))'"))

        let tapeinfo = try await server.runTool("tapeinfo", ["-f", "/dev/hwsim/sg1"])
        #expect(tapeinfo.exitCode == 0, "\(tapeinfo.combined)")
        #expect(tapeinfo.stdout.contains("Product Type: Tape Drive"))
        #expect(tapeinfo.stdout.contains("SerialNumber: '\(try Self.value(ids, "drive0"))'"))
        #expect(tapeinfo.stdout.contains("MaxBlock: 8388608"))

        let loaderinfo = try await server.runTool("loaderinfo", ["-f", "/dev/hwsim/sg0"])
        #expect(loaderinfo.exitCode == 0, "\(loaderinfo.combined)")
        let inventory = try await Self.inventory(server)
        #expect(loaderinfo.stdout.contains("Number of Storage Elements: \(try Self.count(inventory, "slots"))"))
        #expect(loaderinfo.stdout.contains("Number of Import/Export Elements: \(try Self.count(inventory, "mailSlots"))"))
        #expect(loaderinfo.stdout.contains("Number of Data Transfer Elements: \(try Self.count(inventory, "drives"))"))
    }

    @Test("mtx inventory, load, unload, transfer and eepos move cartridges as the simulator records")
    func mtxMoves() async throws {
        try ToolRunner.require("mtx", "sg_turs")
        let server = try await Self.started()
        defer { server.stop() }
        var inventory = try await Self.inventory(server)
        let storageCount = try Self.count(inventory, "slots")
        try #require(storageCount > 0, "the profile has no storage slots")
        let (fullSlot, barcode) = try #require(Self.firstFullSlot(inventory), "the profile needs a full slot")
        let emptySlot = try #require((1...storageCount).first(where: { inventory["slot\($0)"] == nil }),
                                     "the profile needs an empty slot")

        // mtx inventory (INITIALIZE ELEMENT STATUS) rescans and changes nothing.
        try await Self.settle(server, "/dev/hwsim/sg0")
        let rescan = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "inventory"])
        #expect(rescan.exitCode == 0, "\(rescan.combined)")
        #expect(try await Self.inventory(server) == inventory)

        let load = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "load", String(fullSlot), "1"])
        #expect(load.exitCode == 0, "\(load.combined)")
        inventory = try await Self.inventory(server)
        #expect(inventory["drive1"] == barcode)
        #expect(inventory["slot\(fullSlot)"] == nil)
        let afterLoad = try MtxStatus(try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "status"]).stdout)
        #expect(afterLoad.drives[1] == .some(barcode))
        #expect(afterLoad.driveSources[1] == fullSlot)

        let unload = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "unload", String(emptySlot), "1"])
        #expect(unload.exitCode == 0, "\(unload.combined)")
        inventory = try await Self.inventory(server)
        #expect(inventory["slot\(emptySlot)"] == barcode)
        #expect(inventory["drive1"] == nil)

        let transfer = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "transfer", String(emptySlot), String(fullSlot)])
        #expect(transfer.exitCode == 0, "\(transfer.combined)")
        inventory = try await Self.inventory(server)
        #expect(inventory["slot\(fullSlot)"] == barcode)

        // eepos 0 transfer into an empty import/export slot (EEPOS in MOVE MEDIUM byte 11).
        let mailCount = try Self.count(inventory, "mailSlots")
        try #require(mailCount > 0, "the profile has no import/export slot")
        let emptyMail = try #require((1...mailCount).first(where: { inventory["mail\($0)"] == nil }),
                                     "the profile needs an empty import/export slot")
        let eepos = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "eepos", "0", "transfer",
                                               String(fullSlot), String(storageCount + emptyMail)])
        #expect(eepos.exitCode == 0, "\(eepos.combined)")
        inventory = try await Self.inventory(server)
        #expect(inventory["mail\(emptyMail)"] == barcode)

        // A move from an empty slot fails with the changer's sense, and mtx says so.
        let bad = try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "load", String(fullSlot), "0"])
        #expect(bad.exitCode != 0)
    }

    @Test("sg_inq and sg_vpd (sn, di) report each device's identity")
    func sgInquiry() async throws {
        try ToolRunner.require("sg_inq", "sg_vpd")
        let server = try await Self.started()
        defer { server.stop() }
        let ids = try await Self.identities(server)
        let driveCount = try Self.count(try await Self.inventory(server), "drives")
        try #require(driveCount > 0, "the profile has no drives")
        for device in 0...driveCount {
            let name = device == 0 ? "changer" : "drive\(device - 1)"
            let node = "/dev/hwsim/sg\(device)"
            let inq = try await server.runTool("sg_inq", [node])
            #expect(inq.exitCode == 0, "\(inq.combined)")
            #expect(inq.stdout.contains("PDT=\(device == 0 ? 8 : 1)"))
            #expect(inq.stdout.contains("Vendor identification: \(try Self.value(ids, name + ".vendor"))"))
            let sn = try await server.runTool("sg_vpd", ["-p", "sn", node])
            #expect(sn.exitCode == 0, "\(sn.combined)")
            let serial = try Self.value(ids, name)
            #expect(sn.stdout.contains("Unit serial number: \(serial)"))
            let di = try await server.runTool("sg_vpd", ["-p", "di", node])
            #expect(di.exitCode == 0, "\(di.combined)")
            #expect(di.stdout.contains(serial), "device identification names the serial")
        }
        let missing = try await server.runTool("sg_inq", ["/dev/hwsim/sg\(driveCount + 1)"])
        #expect(missing.exitCode != 0)
        #expect(missing.combined.contains("No such file or directory"))
    }

    @Test("sg_logs shows injected TapeAlert flags, volume statistics and tape capacity")
    func sgLogs() async throws {
        try ToolRunner.require("sg_logs", "sg_turs", "mtx")
        let server = try await Self.started()
        defer { server.stop() }
        let inventory = try await Self.inventory(server)
        let (slot, barcode) = try #require(Self.firstFullSlot(inventory), "no cartridge in the profile")
        #expect(try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "load", String(slot), "0"]).exitCode == 0)
        // The load raises UNIT ATTENTION 6/28/00 on the drive; sg_logs does not retry it.
        try await Self.settle(server, "/dev/hwsim/sg1")
        let raised = try await server.control(ControlRequest(op: "tapealert", device: 1, args: ["flags": "14,1e"]))
        #expect(raised.ok)

        // Plain sg_logs first reads 4 bytes to learn the page length, then the page: only the
        // full read clears the flags, so they show, and a second run finds them cleared.
        let alerts = try await server.runTool("sg_logs", ["-p", "0x2e", "/dev/hwsim/sg1"])
        #expect(alerts.exitCode == 0, "\(alerts.combined)")
        let raisedLines = alerts.stdout.split(separator: "\n").filter { $0.hasSuffix(": 1") }
        #expect(raisedLines.count == 2, "exactly the two injected flags are set: \(raisedLines)")
        #expect(raisedLines.contains { $0.contains("Cleaning required") })     // flag 14h
        #expect(raisedLines.contains { $0.contains("Hardware A") })            // flag 1Eh
        let cleared = try await server.runTool("sg_logs", ["-p", "0x2e", "/dev/hwsim/sg1"])
        #expect(!cleared.stdout.split(separator: "\n").contains { $0.hasSuffix(": 1") }, "reading 2Eh cleared the flags")

        let statistics = try await server.runTool("sg_logs", ["-p", "0x17", "/dev/hwsim/sg1"])
        #expect(statistics.exitCode == 0, "\(statistics.combined)")
        #expect(statistics.stdout.contains("Volume serial number: \(barcode)"))

        let capacity = try await server.runTool("sg_logs", ["-p", "0x31", "/dev/hwsim/sg1"])
        #expect(capacity.exitCode == 0, "\(capacity.combined)")
        #expect(capacity.stdout.contains("Main partition maximum capacity"))
    }

    @Test("sg_read_attr, sg_read_block_limits and sg_raw on a loaded drive")
    func sgAttributesAndRaw() async throws {
        try ToolRunner.require("sg_read_attr", "sg_read_block_limits", "sg_raw", "sg_turs", "mtx")
        let server = try await Self.started()
        defer { server.stop() }
        #expect(try await server.runTool("mtx", ["-f", "/dev/hwsim/sg0", "load", "1", "0"]).exitCode == 0)
        try await Self.settle(server, "/dev/hwsim/sg1")
        let inventory = try await Self.inventory(server)

        let attributes = try await server.runTool("sg_read_attr", ["/dev/hwsim/sg1"])
        #expect(attributes.exitCode == 0, "\(attributes.combined)")
        #expect(attributes.stdout.contains("Load count: 1"))
        #expect(attributes.stdout.contains("Medium serial number:"))
        let barcode = try #require(inventory["drive0"], "mtx load 1 0 left drive 0 empty: \(inventory)")
        #expect(attributes.stdout.contains(barcode))

        let limits = try await server.runTool("sg_read_block_limits", ["/dev/hwsim/sg1"])
        #expect(limits.exitCode == 0, "\(limits.combined)")
        #expect(limits.combined.contains("Maximum block size: 8388608"))     // sg_read_block_limits prints to stderr

        // WRITE(6) one 4-byte variable record, REWIND, READ(6) it back: data through SG_IO both ways.
        let payload = FileManager.default.temporaryDirectory.appendingPathComponent("hwsim-rec-\(UUID().uuidString.prefix(6))")
        try Data([0xDE, 0xAD, 0xBE, 0xEF]).write(to: payload)
        defer { try? FileManager.default.removeItem(at: payload) }
        let write = try await server.runTool("sg_raw", ["-s", "4", "-i", payload.path, "/dev/hwsim/sg1", "0a", "00", "00", "00", "04", "00"])
        #expect(write.exitCode == 0, "\(write.combined)")
        #expect(try await server.runTool("sg_raw", ["/dev/hwsim/sg1", "01", "00", "00", "00", "00", "00"]).exitCode == 0)
        let read = try await server.runTool("sg_raw", ["-r", "4", "/dev/hwsim/sg1", "08", "00", "00", "00", "04", "00"])
        #expect(read.exitCode == 0, "\(read.combined)")
        #expect(read.combined.lowercased().contains("de ad be ef"))

        // A CDB the drive refuses comes back as CHECK CONDITION with its sense decoded.
        let bad = try await server.runTool("sg_raw", ["/dev/hwsim/sg1", "ff", "00", "00", "00", "00", "00"])
        #expect(bad.exitCode != 0)
        #expect(bad.combined.contains("Illegal Request"))
    }

    @Test("stenc --detail reads the drive's identity and encryption status")
    func stencDetail() async throws {
        try ToolRunner.require("stenc")
        let server = try await Self.started()
        defer { server.stop() }
        let ids = try await Self.identities(server)
        // The drive's power-on UNIT ATTENTION would otherwise fail stenc's first SECURITY
        // PROTOCOL IN (stenc does not retry it) and hide the drive section.
        try await Self.settle(server, "/dev/hwsim/sg1")
        let output = try await server.runTool("stenc", ["-f", "/dev/hwsim/sg1", "--detail"])
        #expect(output.stdout.contains("Device Mfg:              \(try Self.value(ids, "drive0.vendor"))"))
        #expect(output.stdout.contains("Product ID:              \(try Self.value(ids, "drive0.product"))"))
        // stenc reads SECURITY PROTOCOL IN 20h pages 0020h (drive: encryption and decryption
        // disabled) and 0021h (volume: status 0h, no medium) and exits 0.
        #expect(output.exitCode == 0, "\(output.combined)")
        #expect(output.stdout.contains("Drive Encryption:"), "\(output.stdout)")
        #expect(output.stdout.contains("Volume Encryption:"))
    }

    /// The lowest-numbered full storage slot and its barcode.
    static func firstFullSlot(_ inventory: [String: String]) -> (Int, String)? {
        inventory.filter { $0.key.hasPrefix("slot") && $0.key != "slots" }
            .compactMap { entry in Int(entry.key.dropFirst(4)).map { ($0, entry.value) } }
            .min { $0.0 < $1.0 }
    }

    static func padded(_ value: String, _ width: Int) -> String {
        value.count >= width ? String(value.prefix(width)) : value + String(repeating: " ", count: width - value.count)
    }
}
