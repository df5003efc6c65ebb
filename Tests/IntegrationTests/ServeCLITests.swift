import Foundation
import Testing

/// `tapelib serve` as a process with an embedded simulated library, driven by `tapelib task`
/// from other processes through the catalog's queue, stopped with SIGTERM as systemd stops it.
@Suite struct ServeCLITests {
    @Test func tasksQueuedFromTheCLIRunInTheServiceAndSIGTERMStopsIt() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let catalog = ["--state-dir", state.appendingPathComponent("catalog").path]
        let server = Process()
        server.executableURL = CLI.executable
        server.arguments = ["serve", "--sim", "autoloader", "--sim-state", state.appendingPathComponent("sim").path,
                            "--hostname", "it-media", "--queue-poll", "0.1"] + catalog
        let log = Pipe()
        server.standardError = log
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }

        // The service registers the simulated library on first start; the sync runs once it has.
        var sync = CLIResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<100 {
            sync = try await CLI.run(["task", "submit", "sync", "--library", "1", "--wait"] + catalog)
            if sync.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(sync.status == 0, "\(sync.stderr)")

        let tasks = try await CLI.run(["task", "list", "--json"] + catalog)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(tasks.stdout.utf8)) as? [[String: Any]])
        #expect(listed.contains { $0["type"] as? String == "sync" && $0["status"] as? String == "done" })

        // A cartridge the sync found, loaded and erased with progress, by volume tag.
        let load = try await CLI.run(["task", "submit", "load", "--library", "1", "--drive", "1",
                                      "--cartridge", "A00001L8", "--wait"] + catalog)
        #expect(load.status == 0, "\(load.stderr)")
        let erase = try await CLI.run(["task", "submit", "erase", "--library", "1", "--drive", "1", "--long",
                                       "--wait"] + catalog)
        #expect(erase.status == 0, "\(erase.stderr)")
        #expect(erase.stderr.contains("long erase ["))
        #expect(erase.stderr.contains("100%"))

        // Refused before anything is queued, with the reason and exit status 1.
        let refused = try await CLI.run(["task", "submit", "erase", "--library", "1", "--drive", "42"] + catalog)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("drive 42 is not a drive of tape library 1"))
        let unload = try await CLI.run(["task", "submit", "unload", "--library", "1", "--drive", "1", "--wait"] + catalog)
        #expect(unload.status == 0, "\(unload.stderr)")
        // A task that fails when it runs: `wait` exits 1 and says why.
        let failed = try await CLI.run(["task", "submit", "erase", "--library", "1", "--drive", "1", "--wait"] + catalog)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("ended error: erase failed: drive 1 (element"), "\(failed.stderr)")
        #expect(failed.stderr.contains("is empty; load a cartridge first"), "\(failed.stderr)")

        server.terminate()   // SIGTERM
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let serverLog = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(serverLog.contains("registered simulated library as tape library 1"))
        #expect(serverLog.contains("stopped"))
    }
}
