import Foundation
import Testing

/// `tapelib serve` as a process with an embedded simulated library, driven by `tapelib task`
/// from other processes through the catalog's queue, stopped with SIGTERM as systemd stops it.
@Suite(.timeLimit(.minutes(3))) struct ServeCLITests {
    /// Stops a server process: SIGTERM, then SIGKILL if it has not exited within 20 s.
    private func stop(_ server: Process) {
        guard server.isRunning else { return }
        server.terminate()
        let deadline = Date().addingTimeInterval(20)
        while server.isRunning && Date() < deadline { usleep(20_000) }
        if server.isRunning { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
    }

    @Test func tasksQueuedFromTheCLIRunInTheServiceAndSIGTERMStopsIt() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let catalog = ["--state-dir", state.appendingPathComponent("catalog").path]
        let server = Process()
        server.executableURL = CLI.executable
        server.arguments = ["serve", "--port", "0", "--sim", "autoloader", "--sim-state", state.appendingPathComponent("sim").path,
                            "--hostname", "it-media", "--queue-poll", "0.1"] + catalog
        // The log goes to a file: a pipe nobody reads until the end could fill and block it.
        let logURL = state.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        server.standardError = log
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { stop(server) }

        // Until the service has created the catalog, `task` refuses rather than making one.
        let early = try await CLI.run(["task", "list", "--state-dir", state.appendingPathComponent("none").path])
        #expect(early.status == 1)
        #expect(early.stderr.contains("no catalog at"))

        // The service registers the simulated library on first start; the sync runs once it has.
        var sync = CLIResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<100 {
            sync = try await CLI.run(["task", "submit", "sync", "--library", "1", "--wait", "--timeout", "60"] + catalog)
            if sync.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(sync.status == 0, "\(sync.stderr)")

        let tasks = try await CLI.run(["task", "list", "--json"] + catalog)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(tasks.stdout.utf8)) as? [[String: Any]])
        #expect(listed.contains { $0["type"] as? String == "sync" && $0["status"] as? String == "done" })

        // A cartridge the sync found, loaded and erased with progress, by volume tag.
        let load = try await CLI.run(["task", "submit", "load", "--library", "1", "--drive", "1",
                                      "--cartridge", "A00001L8", "--wait", "--timeout", "60"] + catalog)
        #expect(load.status == 0, "\(load.stderr)")
        let erase = try await CLI.run(["task", "submit", "erase", "--library", "1", "--drive", "1", "--long",
                                       "--wait", "--timeout", "60"] + catalog)
        #expect(erase.status == 0, "\(erase.stderr)")
        #expect(erase.stderr.contains("long erase ["))
        #expect(erase.stderr.contains("100%"))

        // Refused before anything is queued, with the reason and exit status 1.
        let refused = try await CLI.run(["task", "submit", "erase", "--library", "1", "--drive", "42"] + catalog)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("drive 42 is not a drive of tape library 1"))
        let unload = try await CLI.run(["task", "submit", "unload", "--library", "1", "--drive", "1", "--wait",
                                        "--timeout", "60"] + catalog)
        #expect(unload.status == 0, "\(unload.stderr)")
        // A task that fails when it runs: `wait` exits 1 and says why.
        let failed = try await CLI.run(["task", "submit", "erase", "--library", "1", "--drive", "1", "--wait",
                                        "--timeout", "60"] + catalog)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("ended error: erase failed: drive 1 (element"), "\(failed.stderr)")
        #expect(failed.stderr.contains("is empty; load a cartridge first"), "\(failed.stderr)")

        // A second service on the same state directory is refused.
        let second = try await CLI.run(["serve", "--port", "0", "--sim", "autoloader", "--queue-poll", "0.1"] + catalog)
        #expect(second.status == 1)
        #expect(second.stderr.contains("another tapelib serve is running"), "\(second.stderr)")

        stop(server)   // SIGTERM
        #expect(server.terminationStatus == 0)
        try log.close()
        let serverLog = try String(contentsOf: logURL, encoding: .utf8)
        #expect(serverLog.contains("registered simulated library as tape library 1"))
        #expect(serverLog.contains("stopped"))
    }

    @Test func libraryAddRegistersTheChangerWithItsDrivesAndListsThem() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let catalog = ["--state-dir", state.path]
        let add = try await CLI.run(["library", "add", "--sim", "midsize", "--changer", "sim:midsize#0",
                                     "--hostname", "it-media"] + catalog)
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("tape library 1: changer sim:midsize#0, 4 drive(s)"))
        let list = try await CLI.run(["library", "list"] + catalog)
        #expect(list.stdout.contains("sim:midsize#0 DEC1234567 online"), "\(list.stdout)")

        // --json carries what the table shows: id, sync state, the changer, the drives.
        let listJSON = try await CLI.run(["library", "list", "--json"] + catalog)
        #expect(listJSON.status == 0, "\(listJSON.stderr)")
        let libraries = try #require(try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [[String: Any]],
                                     "\(listJSON.stdout)")
        #expect(libraries.count == 1)
        let library = try #require(libraries.first)
        #expect(library["id"] as? Int == 1)
        let syncState = try #require(library["sync_state"] as? String, "\(library)")
        let changer = try #require(library["changer"] as? [String: Any], "\(library)")
        #expect(changer["device"] as? String == "sim:midsize#0")
        #expect(changer["serial"] as? String == "DEC1234567")
        #expect(changer["state"] as? String == "online")
        let drives = try #require(library["drives"] as? [[String: Any]], "\(library)")
        #expect(drives.map { $0["device"] as? String } == (1...4).map { "sim:midsize#\($0)" })
        #expect(drives.allSatisfy { ($0["serial"] as? String)?.isEmpty == false }, "\(drives)")
        let row = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("1 ") }, "\(list.stdout)")
        #expect(row.contains(" \(syncState) "), "\(row)")
        for drive in drives {
            #expect(row.contains("\(drive["device"] as? String ?? "")(\(drive["state"] as? String ?? ""))"), "\(row)")
        }
        let again = try await CLI.run(["library", "add", "--sim", "midsize", "--changer", "sim:midsize#0"] + catalog)
        #expect(again.status == 1)
        #expect(again.stderr.contains("is already registered"))
        let missing = try await CLI.run(["library", "add", "--sim", "midsize", "--changer", "/dev/sg42"] + catalog)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no changer at /dev/sg42"))

        // No service runs here: a queued task stays queued and can be cancelled.
        let queued = try await CLI.run(["task", "submit", "sync", "--library", "1"] + catalog)
        #expect(queued.stdout.contains("TASK WAS ADDED TO QUEUE:1"), "\(queued.stderr)")
        let cancel = try await CLI.run(["task", "cancel", "1"] + catalog)
        #expect(cancel.status == 0)
        #expect(cancel.stdout.contains("task 1 cancelled"))
        let shown = try await CLI.run(["task", "show", "1", "--json"] + catalog)
        #expect(shown.stdout.contains("\"status\" : \"killed\""), "\(shown.stdout)")
        let unknown = try await CLI.run(["task", "cancel", "77"] + catalog)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no library task 77"))
    }
}
