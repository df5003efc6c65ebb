import Foundation
import HWSimServer
import Testing

/// The `tapelib` CLI (TapeHardware's MediumChanger and TapeDrive) over each transport:
/// SGTransport through the sg shim, the hwsim socket, and iSCSI against tgt.
@Suite("tapelib CLI over SG, hwsim socket and iSCSI", .serialized)
struct CLIConformanceTests {
    static var tapelib: String { ConformancePaths.buildDirectory.appendingPathComponent("tapelib").path }

    struct ChangerJSON: Decodable {
        struct Element: Decodable {
            var number: Int
            var full: Bool
            var volume_tag: String?
            var drive_serial: String?
        }
        var serial: String?
        var drives: [Element]
        var storage: [Element]
        var import_export: [Element]
    }

    static func changerStatus(_ device: String, environment: [String: String]) async throws -> ChangerJSON {
        let output = try await ToolRunner.run(tapelib, ["changer", "status", "--device", device, "--json"], environment: environment)
        guard output.exitCode == 0 else { throw HarnessError("tapelib changer status failed: \(output.combined)") }
        return try JSONDecoder().decode(ChangerJSON.self, from: Data(output.stdout.utf8))
    }

    /// The simulator's inventory keys for what the CLI printed (`mtx` numbering, as the CLI uses).
    static func keys(_ status: ChangerJSON) -> [String: String] {
        var keys: [String: String] = [:]
        for element in status.storage where element.full { keys["slot\(element.number)"] = element.volume_tag ?? "" }
        for (index, element) in status.import_export.enumerated() where element.full { keys["mail\(index + 1)"] = element.volume_tag ?? "" }
        for element in status.drives where element.full { keys["drive\(element.number)"] = element.volume_tag ?? "" }
        return keys
    }

    @Test("changer status, load and unload through /dev/hwsim/sg0 (SGTransport + shim) and hwsim:SOCKET#0")
    func changerOverSGAndSocket() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let shim = try await server.shimEnvironment()
        let ids = try await RealToolConformanceTests.identities(server)
        var inventory = try await RealToolConformanceTests.inventory(server)

        let overSG = try await Self.changerStatus("/dev/hwsim/sg0", environment: shim)
        let overSocket = try await Self.changerStatus("hwsim:\(server.socketPath)#0", environment: [:])
        #expect(Self.keys(overSG) == RealToolConformanceTests.full(inventory))
        #expect(Self.keys(overSocket) == Self.keys(overSG))
        #expect(overSG.serial == ids["changer"])
        #expect(overSG.drives.map(\.drive_serial) == overSG.drives.indices.map { ids["drive\($0)"] })

        guard let barcode = inventory["slot2"] else { Issue.record("slot 2 is empty"); return }
        let load = try await ToolRunner.run(Self.tapelib, ["changer", "load", "--device", "/dev/hwsim/sg0", "--slot", "2", "--drive", "1"],
                                      environment: shim)
        #expect(load.exitCode == 0, "\(load.combined)")
        inventory = try await RealToolConformanceTests.inventory(server)
        #expect(inventory["drive1"] == barcode)

        let drive = try await ToolRunner.run(Self.tapelib, ["drive", "status", "--device", "/dev/hwsim/sg2"], environment: shim)
        #expect(drive.exitCode == 0, "\(drive.combined)")
        #expect(drive.stdout.contains(ids["drive1"] ?? "?"))

        let unload = try await ToolRunner.run(Self.tapelib, ["changer", "unload", "--device", "hwsim:\(server.socketPath)#0", "--drive", "1"])
        #expect(unload.exitCode == 0, "\(unload.combined)")
        inventory = try await RealToolConformanceTests.inventory(server)
        #expect(inventory["slot2"] == barcode)
    }

    @Test("a missing sg node is reported as a device that is gone")
    func missingNode() async throws {
        let output = try await ToolRunner.run(Self.tapelib, ["inquiry", "--device", "/dev/sg-tapelib-missing"])
        #expect(output.exitCode != 0)
        #expect(output.combined.contains("device is gone"))
    }

    @Test("changer status, load and unload against tgt over iSCSI",
          .enabled(if: ToolRunner.available("tgtd", "tgtadm", "tgtimg"), "tgt (tgtd, tgtadm, tgtimg) is not installed"),
          .enabled(if: TGTLibrary.canRun, "tgtd needs root: its control socket lives in /var/run/tgtd"))
    func changerOverISCSI() async throws {
        let tgt = try TGTLibrary()
        defer { tgt.stop() }
        try await tgt.start()
        // tgt's data transfer descriptors, asked with DVCID, are cut short (its byte count is
        // 8 bytes over what it sends), so the last drive's identifier does not parse:
        // MediumChanger falls back to tags without DVCID and identifiers where they parse.
        let status = try await Self.changerStatus(tgt.url(lun: 3), environment: [:])
        #expect(status.storage.map(\.volume_tag) == ["TAPE01L8", "TAPE02L8", "TAPE03L8", "TAPE04L8"])
        #expect(status.drives.count == 2)
        let load = try await ToolRunner.run(Self.tapelib, ["changer", "load", "--device", tgt.url(lun: 3), "--slot", "3", "--drive", "0"])
        #expect(load.exitCode == 0, "\(load.combined)")
        let loaded = try await Self.changerStatus(tgt.url(lun: 3), environment: [:])
        #expect(loaded.storage[2].volume_tag == nil)
        let unload = try await ToolRunner.run(Self.tapelib, ["changer", "unload", "--device", tgt.url(lun: 3), "--drive", "0"])
        #expect(unload.exitCode == 0, "\(unload.combined)")
        let after = try await Self.changerStatus(tgt.url(lun: 3), environment: [:])
        #expect(after.storage.map(\.volume_tag) == ["TAPE01L8", "TAPE02L8", "TAPE03L8", "TAPE04L8"])
    }
}
