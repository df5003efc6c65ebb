import Catalog
import Foundation
import HWSimServer
import Testing

/// Issue 12's power-loss case: `kill -9` of `tapelib serve` while it writes a copy onto tape,
/// and again while it reads the copy back, against a persistent `tapelib-hwsim serve` library.
/// After each restart: the copy task is `broken`, its copy `failed` with nothing recorded as
/// copied, the cartridge the dead process left in a drive is taken home, and every cartridge's
/// catalog location equals the simulator's (0 mismatches, 0 stranded). Restarted, the copy
/// completes, verified, and a restore gives the archive's bytes back.
@Suite(.serialized, .timeLimit(.minutes(20))) struct CopyCrashTests {
    @Test(arguments: [TapeFormat.native, .ltfs])
    func killNineMidCopyAndMidReadBackLeavesNoCopyRecordedAndTheRetryCompletes(_ format: TapeFormat) async throws {
        let directory = try CLI.temporaryDirectory()
        let rig = CrashRig(directory: directory)
        defer { rig.stopAll() }
        let catalog = TapeCatalog(try await CatalogDatabase.open(stateDirectory: rig.catalogDirectory.path))
        let tapes = try await catalog.insert(Pool(name: "tapes", type: .tapeLibrary, tapeFormat: format))
        _ = try await catalog.insert(Pool(name: "disk", type: .fileSystem))
        let tapePool = try #require(tapes.id)
        for tag in CrashLibrary.allBarcodes {
            _ = try await catalog.registerCartridge(volumeTag: tag, poolName: ["K00001L8", "K00002L8"].contains(tag) ? "tapes" : nil)
        }
        // 96 MB of pseudo-random bytes (the copy takes long enough to be caught in each phase).
        var state: UInt64 = 0x5EED
        var bytes = [UInt8](repeating: 0, count: 96 * 1_048_576)
        for index in stride(from: 0, to: bytes.count, by: 8) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: state.bigEndian) { word in
                for offset in 0..<8 { bytes[index + offset] = word[offset] }
            }
        }
        let archive = directory.appendingPathComponent("archive.bin")
        try Data(bytes).write(to: archive)
        let added = try await CLI.run(["repository", "add", "--pool", "disk", archive.path] + rig.catalogArguments)
        #expect(added.status == 0 && added.stdout.hasPrefix("record 1: "), "\(added.stdout)\(added.stderr)")

        try await rig.startSimulator()
        var serviceStart = Date()
        try await rig.startService()
        try await rig.waitForRecovery(catalog: catalog, since: serviceStart)

        // Each drive command waits 15 ms, so each phase lasts about three seconds whatever the
        // machine's speed: at the simulator's data rate alone, a fast machine ended the copy
        // between two polls of its phase (CI saw "the copy ended done before it could be
        // killed"), and at 3 ms (about half a second a phase) a fresh-clone run with the whole
        // suite beside it still missed the writing phase once, its poll starved that long.
        let devices = try await rig.simulatorDeviceCount()
        for device in 1..<devices {
            try await rig.control(ControlRequest(op: "latency", device: device, args: ["ms": "15"]))
        }
        let queued = try await CLI.run(["repository", "copy", "--record", "1", "--pool", "tapes"] + rig.catalogArguments)
        let taskText = try #require(queued.stdout.split(separator: ":").first?.split(separator: " ").last.map(String.init), "\(queued.stdout)")
        let taskID = try #require(Int64(taskText))

        for phase in ["writing part", "reading part"] {
            // The moment: the copy task says it is in that phase (a row of the catalog, not a guessed time).
            try await rig.waitFor("task \(taskID) to be \(phase)", seconds: 300) {
                let task = try await catalog.backupTask(id: taskID)
                if let task, task.status.isFinal {
                    throw CLIFailure(description: "the copy ended \(task.status.rawValue) before it could be killed \(phase): \(task.errorMessage ?? "")")
                }
                return task?.phase.hasPrefix(phase) == true
            }
            try await rig.killService()
            serviceStart = Date()
            try await rig.startService()
            try await rig.waitForRecovery(catalog: catalog, since: serviceStart)
            try await rig.waitForDriveRecovery()
            try await rig.waitForQueueToDrain(catalog: catalog)

            let task = try #require(try await catalog.backupTask(id: taskID))
            #expect(task.status == .broken, "killed \(phase): \(task.status.rawValue)")
            let copies = try await catalog.copies(of: 1)
            #expect(copies.map(\.state) == [.failed], "killed \(phase): \(copies)")
            #expect(try await catalog.completeCopies(of: 1).isEmpty)
            let check = try await CrashCheck.compare(catalog: catalog, physical: try await rig.simulatorInventory())
            #expect(check.mismatches.isEmpty && check.stranded.isEmpty, "killed \(phase): \(check)")
            // Its archive is untouched.
            #expect(try Data(contentsOf: archive) == Data(bytes))

            let restarted = try await CLI.run(["repository", "restart", String(taskID)] + rig.catalogArguments)
            #expect(restarted.status == 0, "\(restarted.stdout)\(restarted.stderr)")
        }

        try await rig.waitFor("the restarted copy to end", seconds: 600) {
            try await catalog.backupTask(id: taskID)?.status.isFinal == true
        }
        let done = try #require(try await catalog.backupTask(id: taskID))
        #expect(done.status == .done, "\(done.errorMessage ?? "")")
        let copy = try #require(try await catalog.completeCopies(of: 1).first)
        #expect(copy.0.verified && copy.0.poolId == tapePool)
        // The catalog's bytes on the cartridge. Native: those of the part it holds (the killed
        // attempts' partial tape files were written over from the beginning of the scratch
        // cartridge). LTFS: the scratch cartridge is formatted afresh once it holds an earlier
        // attempt's file.
        for extent in copy.1 {
            let cartridge = try #require(try await catalog.cartridge(id: extent.cartridgeId))
            if format == .native {
                #expect(extent.tapeFileNumber == 0 && extent.ltfsPath == nil, "\(extent)")
                #expect(cartridge.bytesWritten == extent.byteCount + 1_024, "\(cartridge.volumeTag): \(cartridge.bytesWritten) vs \(extent)")
            } else {
                #expect(extent.ltfsPath == "/record-1-archive.bin", "\(extent)")
                // The retry found the scratch cartridge holding the killed attempt's file and
                // formatted it afresh: the part is all it holds.
                #expect(cartridge.bytesWritten == extent.byteCount, "\(cartridge.volumeTag): \(cartridge.bytesWritten) vs \(extent)")
                #expect(cartridge.ltfsState == .consistent)
            }
        }
        let restoreDirectory = directory.appendingPathComponent("restored")
        try FileManager.default.createDirectory(at: restoreDirectory, withIntermediateDirectories: true)
        let restored = try await CLI.run(["repository", "restore", "--record", "1", "--to", restoreDirectory.path, "--wait"] + rig.catalogArguments)
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: restoreDirectory.appendingPathComponent("record-1-archive.bin").path,
                                                  andPath: archive.path))
        try await rig.waitForQueueToDrain(catalog: catalog)
        let check = try await CrashCheck.compare(catalog: catalog, physical: try await rig.simulatorInventory())
        #expect(check.mismatches.isEmpty && check.stranded.isEmpty, "\(check)")
        try? FileManager.default.removeItem(at: directory)
    }
}
