import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The REST API as a client sees it: `tapelib serve --sim midsize --sim-unregistered` on a free
/// port, driven over HTTP through an operator's session.
@Suite(.timeLimit(.minutes(5))) struct LiveAPITests {
    struct Client {
        var base: URL
        var token: String?
        var csrf: String?

        /// One call; the answer's status and envelope.
        func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> (status: Int, json: [String: Any]) {
            var request = URLRequest(url: URL(string: base.absoluteString + path)!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let csrf { request.setValue(csrf, forHTTPHeaderField: "X-CSRF-TOKEN") }
            if let body { request.httpBody = Data(body.utf8); request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return (status, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }

        /// Follows tl_task_queue/{id} until the task ends (an event, with a generous bound); its final row.
        func waitForTask(_ id: Int) async throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(180)
            while Date() < deadline {
                let answer = try await call("GET", "/api/v1/tl_task_queue/\(id)")
                let task = try #require(answer.json["data"] as? [String: Any])
                if let status = task["status"] as? String, ["done", "error", "killed", "broken", "obsoleted"].contains(status) {
                    return task
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CLIFailure(description: "task \(id) did not end")
        }

        /// Logs in as admin and keeps the session's token and CSRF token for the calls after.
        mutating func login(password: String) async throws {
            let login = try await call("POST", "/api/v1/auth/login", #"{"rubackup_user": "admin", "password": "\#(password)"}"#)
            #expect(login.status == 200)
            let session = try #require(login.json["data"] as? [String: Any])
            token = session["access_token"] as? String
            csrf = session["csrf_token"] as? String
        }

        func taskIDs(_ answer: (status: Int, json: [String: Any])) throws -> [Int] {
            try #require((answer.json["data"] as? [String: Any])?["task_ids"] as? [Int], "\(answer.json)")
        }
    }

    @Test func anOperatorSessionOverHTTP() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let server = Process()
        server.executableURL = CLI.executable
        server.arguments = ["serve", "--port", "0", "--sim", "midsize", "--sim-unregistered", "--queue-poll", "0.1",
                            "--state-dir", state.appendingPathComponent("catalog").path]
        var environment = ProcessInfo.processInfo.environment
        environment["TAPELIB_ADMIN_PASSWORD"] = "live-test-pw"
        server.environment = environment
        let logURL = state.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        server.standardError = try FileHandle(forWritingTo: logURL)
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning { server.terminate(); server.waitUntilExit() }
        }
        // The server says where it listens; wait for that line.
        var port: Int?
        for _ in 0..<1_200 where port == nil {
            #expect(server.isRunning)
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"API listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last ?? "")
            }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        var client = Client(base: URL(string: "http://127.0.0.1:\(try #require(port))")!)

        // Login.
        let login = try await client.call("POST", "/api/v1/auth/login", #"{"rubackup_user": "admin", "password": "live-test-pw"}"#)
        #expect(login.status == 200)
        let session = try #require(login.json["data"] as? [String: Any])
        client.token = session["access_token"] as? String
        client.csrf = session["csrf_token"] as? String

        // Candidates of this media server: the simulated library's changer with its drive bays matched.
        let candidates = try await client.call("GET", "/api/v1/tape_libraries/candidates?media_server=sim-midsize")
        #expect(candidates.status == 200)
        let changers = try #require((candidates.json["data"] as? [String: Any])?["changers"] as? [[String: Any]])
        #expect(changers.count == 1)
        #expect(((changers.first?["bays"] as? [[String: Any]]) ?? []).allSatisfy { $0["drive"] is [String: Any] })
        // It was registered on the first start, as an operator would have added it.
        let libraries = try await client.call("GET", "/api/v1/tape_libraries")
        #expect((libraries.json["data"] as? [Any])?.count == 1)

        // The first sync finds cartridges nobody registered: 422 listing them.
        let first = try await client.call("POST", "/api/v1/tape_libraries/1/sync?wait=true")
        #expect(first.status == 422)
        let unregistered = try #require((first.json["data"] as? [String: Any])?["unregistered"] as? [String])
        #expect(unregistered.count > 10)
        for tag in unregistered where !tag.hasPrefix("CLN") {
            let registered = try await client.call("POST", "/api/v1/tape_cartridges", #"{"data": {"volume_tag": "\#(tag)"}}"#)
            #expect(registered.status == 201, "\(tag): \(registered.json)")
        }
        let second = try await client.call("POST", "/api/v1/tape_libraries/1/sync?wait=true")
        #expect(second.status == 200, "\(second.json)")

        // Import what waits in the mail slots; move, erase, format LTFS and check a cartridge; clean a drive.
        let imported = try await client.waitForTask(try client.taskIDs(
            try await client.call("PATCH", "/api/v1/library_slots/import_cartridge", #"{"data": {"library_id": 1}}"#))[0])
        #expect(imported["status"] as? String == "done", "\(imported)")
        let slots = try await client.call("GET", "/api/v1/library_slots?limit=1000&filter_data=kind%3D%22storage%22")
        let storage = try #require(slots.json["data"] as? [[String: Any]])
        let data = try #require(storage.first { ($0["volume_tag"] as? String)?.hasPrefix("B") == true })
        let tag = try #require(data["volume_tag"] as? String)
        let empty = try #require(storage.first { $0["full"] as? Bool == false }?["id"] as? Int)
        let move = try await client.call("PATCH", "/api/v1/library_slots/move_cartridge",
                                         #"{"data": {"library_id": 1, "volume_tag": "\#(tag)", "slot_id": \#(empty)}}"#)
        #expect(try await client.waitForTask(try client.taskIDs(move)[0])["status"] as? String == "done")
        for (path, body) in [("erase_cartridge", #"{"data": [{"library_id": 1, "volume_tag": "\#(tag)", "is_long_erase": false}]}"#),
                             ("format_cartridge", #"{"data": [{"library_id": 1, "volume_tag": "\#(tag)", "ltfs": true, "volume_name": "live"}]}"#),
                             ("check_ltfs", #"{"data": [{"library_id": 1, "volume_tag": "\#(tag)"}]}"#)] {
            let answer = try await client.call("PATCH", "/api/v1/library_slots/\(path)", body)
            #expect(answer.status == 200, "\(path): \(answer.json)")
            let task = try await client.waitForTask(try client.taskIDs(answer)[0])
            #expect(task["status"] as? String == "done", "\(path): \(task)")
            #expect(task["progress_percent"] as? Double == 100)
        }
        let cartridge = try await client.call("GET", "/api/v1/tape_cartridges?filter_data=volume_tag%3D%22\(tag)%22")
        #expect(((cartridge.json["data"] as? [[String: Any]])?.first?["ltfs_state"] as? String) == "consistent")
        let clean = try await client.call("PATCH", "/api/v1/library_tape_drives/1/clean")
        #expect(try await client.waitForTask(try client.taskIDs(clean)[0])["status"] as? String == "done")

        // Task controls: exports fill the mail slots (all empty after the import); the export after
        // that ends error; restarted, it runs again as attempt 2; pause, continue and kill of an
        // ended task are 400.
        let mailSlots = try await client.call("GET", "/api/v1/library_slots?limit=1000&filter_data=kind%3D%22import_export%22")
        let mailCount = try #require(mailSlots.json["data"] as? [[String: Any]]).count
        let exportable = storage.compactMap { $0["volume_tag"] as? String }.filter { $0.hasPrefix("B") && $0 != tag }
        #expect(exportable.count > mailCount)
        var refusedID = 0
        for (n, volumeTag) in exportable.prefix(mailCount + 1).enumerated() {
            let answer = try await client.call("PATCH", "/api/v1/library_slots/export_cartridge",
                                               #"{"data": {"library_id": 1, "volume_tag": "\#(volumeTag)"}}"#)
            let id = try client.taskIDs(answer)[0]
            let task = try await client.waitForTask(id)
            #expect(task["status"] as? String == (n < mailCount ? "done" : "error"), "\(volumeTag): \(task)")
            refusedID = id
        }
        let failed = try await client.waitForTask(refusedID)
        #expect(failed["error_code"] as? String == "refused", "\(failed)")
        let restart = try await client.call("POST", "/api/v1/restart_task", #"{"data": {"tasks_ids": [\#(refusedID)]}}"#)
        #expect(restart.status == 200, "\(restart.json)")
        let again = try await client.waitForTask(refusedID)
        #expect(again["attempt"] as? Int == 2)
        for control in ["put_task_on_pause", "continue_task_working", "kill_task"] {
            let answer = try await client.call("POST", "/api/v1/\(control)", #"{"data": {"task_id": \#(refusedID)}}"#)
            #expect(answer.status == 400, "\(control): \(answer.json)")
            #expect(answer.json["is_error"] as? Bool == true)
        }

        // Logout; the same token is refused after it.
        let logout = try await client.call("DELETE", "/api/v1/auth/logout")
        #expect(logout.status == 200)
        #expect(try await client.call("GET", "/api/v1/tape_libraries").status == 401)

        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    /// A media server that starts under a new host name against a catalog with another media
    /// server waits, serving no hardware, until an administrator authorises it through the API;
    /// then it registers and serves its library without a restart.
    @Test func aSecondMediaServerWaitsForAuthorisation() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        // The catalog's first media server joins by starting.
        let first = try await ServeProcess.start(["--hostname", "media-a"], state: state, scheme: "http")
        #expect(first.stop() == 0)

        let second = try await ServeProcess.start(["--hostname", "media-b"], state: state, scheme: "http",
                                                     profile: "midsize")
        defer { _ = second.stop() }
        var client = Client(base: URL(string: "http://127.0.0.1:\(second.port)")!)
        try await client.login(password: ServeProcess.adminPassword)

        let waiting = try await client.call("GET", "/api/v1/unauthorised_media_servers")
        #expect(waiting.status == 200)
        let requests = try #require(waiting.json["data"] as? [[String: Any]])
        #expect(requests.map { $0["hostname"] as? String } == ["media-b"])
        let requestID = try #require(requests.first?["id"] as? Int)
        #expect(try await client.call("GET", "/api/v1/unauthorised_media_servers/\(requestID)").status == 200)
        // Unauthorised, it serves no hardware: only media-a's library is in the catalog, and adding one is refused.
        let before = try #require(try await client.call("GET", "/api/v1/tape_libraries").json["data"] as? [[String: Any]])
        #expect(before.count == 1)
        let refused = try await client.call("POST", "/api/v1/tape_libraries",
                                            #"{"data": {"media_server": "media-b", "medium_changer_candidate_id": 1}}"#)
        #expect(refused.status == 409, "\(refused.json)")
        #expect((refused.json["message"] as? String ?? "").contains("authoris"), "\(refused.json)")
        #expect(try await client.call("POST", "/api/v1/media_servers/authorize", #"{"data": {"hostname": "media-c"}}"#).status == 404)

        let authorised = try await client.call("POST", "/api/v1/media_servers/authorize", #"{"data": {"hostname": "media-b"}}"#)
        #expect(authorised.status == 201, "\(authorised.json)")
        #expect((authorised.json["data"] as? [String: Any])?["hostname"] as? String == "media-b")
        #expect(try await client.call("POST", "/api/v1/media_servers/authorize", #"{"data": {"hostname": "media-b"}}"#).status == 404)
        #expect((try await client.call("GET", "/api/v1/unauthorised_media_servers").json["data"] as? [Any])?.isEmpty == true)

        // Within a queue poll it registers its simulated library and serves it (an event: the log line).
        let deadline = Date().addingTimeInterval(120)
        var log = ""
        while Date() < deadline {
            log = (try? String(contentsOf: second.log, encoding: .utf8)) ?? ""
            if log.contains("media server media-b was authorised") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(log.contains("is not authorised in this catalog"), "\(log)")
        #expect(log.contains("media server media-b was authorised"), "\(log)")
        let after = try #require(try await client.call("GET", "/api/v1/tape_libraries").json["data"] as? [[String: Any]])
        #expect(after.count == 2)
        let servers = try #require(try await client.call("GET", "/api/v1/media_servers").json["data"] as? [[String: Any]])
        let mediaB = try #require(servers.first { $0["hostname"] as? String == "media-b" }?["id"] as? Int)
        #expect(after.contains { $0["media_server_id"] as? Int == mediaB }, "\(after)")
        #expect(second.stop() == 0)
    }

    /// A file added as a record with `tapelib repository add`, copied onto a tape pool by the
    /// service (`tapelib repository copy --wait`: the mounts are library tasks of the copy),
    /// spanning two 120 MB cartridges, then verified; the API shows the tasks and the copy.
    @Test func aRecordIsCopiedOntoTapeAndVerifiedThroughTheService() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        // The autoloader with LTO-8 cartridges of 120 MB (early warning 2.4 MB before the end, more
        // than a 512 KiB block, as on real tapes).
        let profileURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("hwsim/Sources/HWSim/Profiles/autoloader.json")
        var profile = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: profileURL)) as? [String: Any])
        profile["capacityScale"] = 1e-5
        let small = state.appendingPathComponent("small-autoloader.json")
        try JSONSerialization.data(withJSONObject: profile).write(to: small)
        let served = try await ServeProcess.start(["--sim-unregistered"], state: state, scheme: "http", profile: small.path)
        defer { _ = served.stop() }
        var client = Client(base: URL(string: "http://127.0.0.1:\(served.port)")!)
        try await client.login(password: ServeProcess.adminPassword)

        #expect(try await client.call("POST", "/api/v1/pool_list", #"{"data": {"pool_name": "tapes", "pool_type": "Tape library"}}"#).status == 201)
        #expect(try await client.call("POST", "/api/v1/pool_list", #"{"data": {"pool_name": "disk", "pool_type": "File system"}}"#).status == 201)
        for tag in ["A00001L8", "A00002L8", "A00003L8"] {
            let registered = try await client.call("POST", "/api/v1/tape_cartridges", #"{"data": {"volume_tag": "\#(tag)", "pool": "tapes"}}"#)
            #expect(registered.status == 201, "\(registered.json)")
        }
        let sync = try await client.call("POST", "/api/v1/tape_libraries/1/sync?wait=true")
        #expect(sync.status == 422 || sync.status == 200, "\(sync.json)")   // A00004…6 stay unregistered

        // 125 MB: more than one cartridge holds (1 MB of random bytes, each MB changed by its index).
        var generator = SystemRandomNumberGenerator()
        let block = (0..<1_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var bytes = Data(capacity: 125_000_000)
        for index in 0..<125 { bytes.append(contentsOf: block.map { $0 ^ UInt8(truncatingIfNeeded: index) }) }
        let archive = state.appendingPathComponent("archive.bin")
        try bytes.write(to: archive)
        let catalog = ["--state-dir", state.appendingPathComponent("catalog").path]
        let added = try await CLI.run(["repository", "add", "--pool", "disk", archive.path] + catalog)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.hasPrefix("record 1: "), "\(added.stdout)")
        let copied = try await CLI.run(["repository", "copy", "--record", "1", "--pool", "tapes", "--wait"] + catalog)
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        #expect(copied.stderr.contains("MB/s"), "\(copied.stderr)")
        let verified = try await CLI.run(["repository", "verify", "--record", "1", "--wait"] + catalog)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // Restored from tape into a directory: the same bytes as the archive.
        let restoreDirectory = state.appendingPathComponent("restored")
        try FileManager.default.createDirectory(at: restoreDirectory, withIntermediateDirectories: true)
        let restored = try await CLI.run(["repository", "restore", "--record", "1", "--to", restoreDirectory.path, "--wait"] + catalog)
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        let restoredFile = restoreDirectory.appendingPathComponent("record-1-archive.bin").path
        #expect(FileManager.default.contentsEqual(atPath: restoredFile, andPath: archive.path))
        // A second restore to the same place is refused: a restore never overwrites.
        let again = try await CLI.run(["repository", "restore", "--record", "1", "--to", restoreDirectory.path] + catalog)
        #expect(again.status == 1 && again.stderr.contains("exists"), "\(again.stderr)")
        let listed = try await CLI.run(["repository", "list", "--json"] + catalog)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let copies = try #require(records.first?["copies"] as? [[String: Any]])
        #expect(copies.count == 1 && copies.first?["state"] as? String == "complete" && copies.first?["verified"] as? Bool == true,
                "\(records)")

        // Through the API: the copy task is done, and its mounts were library tasks of it.
        let tasks = try #require(try await client.call("GET", "/api/v1/task_queue").json["data"] as? [[String: Any]])
        #expect(tasks.map { $0["status"] as? String } == ["done", "done", "done"], "\(tasks)")
        let copyTask = try #require(tasks.first { $0["type"] as? String == "copy" }?["id"] as? Int)
        let mounts = try #require(try await client.call(
            "GET", "/api/v1/tl_task_queue?limit=100&filter_data=backup_task_id%3D%22\(copyTask)%22").json["data"] as? [[String: Any]])
        #expect(mounts.compactMap { $0["type"] as? String } == ["load", "unload", "load", "unload"], "\(mounts)")

        // A record of the disk pool's local catalog is moved onto tape (its archive removed after
        // the read-back), then restored into the pool: the same bytes, the pool's record again.
        let localCatalog = state.appendingPathComponent("local-catalog")
        try FileManager.default.createDirectory(at: localCatalog, withIntermediateDirectories: true)
        let storage = try await client.call("POST", "/api/v1/storage_local_catalogs", #"{"data": {"path": "\#(localCatalog.path)", "pool": "disk"}}"#)
        #expect(storage.status == 201, "\(storage.json)")
        let ownedArchive = localCatalog.appendingPathComponent("owned.bin")
        try bytes.prefix(3_000_000).write(to: ownedArchive)
        let unknownHost = try await CLI.run(["repository", "add", "--pool", "disk", "--media-server", "nosuch", ownedArchive.path] + catalog)
        #expect(unknownHost.status != 0 && unknownHost.stderr.contains("no media server nosuch"), "\(unknownHost.stderr)")
        // The service's media server holds the archive (this host's name is not the service's).
        let servers = try #require(try await client.call("GET", "/api/v1/media_servers").json["data"] as? [[String: Any]])
        #expect(servers.count == 1, "\(servers)")
        let serverID = try #require(servers.first?["id"] as? Int, "\(servers)")
        let serverName = try #require(servers.first?["hostname"] as? String, "\(servers)")
        let addedOwned = try await CLI.run(["repository", "add", "--pool", "disk", "--media-server", serverName, ownedArchive.path] + catalog)
        #expect(addedOwned.stdout.hasPrefix("record 2: "), "\(addedOwned.stdout)\(addedOwned.stderr)")
        let owned = try #require(try await client.call("GET", "/api/v1/repository/2").json["data"] as? [String: Any])
        #expect(owned["archive_media_server_id"] as? Int == serverID, "\(owned)")
        let onThisHost = try await client.call("GET", "/api/v1/repository?filter_data=archive_media_server_id%3D%22\(serverID)%22")
        #expect((onThisHost.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [2], "\(onThisHost.json)")
        let refusedMove = try await CLI.run(["repository", "move", "--record", "1", "--pool", "tapes"] + catalog)
        #expect(refusedMove.status != 0 && refusedMove.stderr.contains("not inside a local catalog"), "\(refusedMove.stderr)")
        let moved = try await CLI.run(["repository", "move", "--record", "2", "--pool", "tapes", "--wait"] + catalog)
        #expect(moved.status == 0, "\(moved.stdout)\(moved.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ownedArchive.path))
        let restoredIntoPool = try await CLI.run(["repository", "restore", "--record", "2", "--pool", "disk", "--wait"] + catalog)
        #expect(restoredIntoPool.status == 0, "\(restoredIntoPool.stdout)\(restoredIntoPool.stderr)")
        let back = try #require(try await client.call("GET", "/api/v1/repository/2").json["data"] as? [String: Any])
        let backPath = try #require(back["path"] as? String, "\(back)")
        // The restored archive is on the host of the media server that wrote it.
        #expect(back["archive_media_server_id"] as? Int == serverID, "\(back)")
        #expect(backPath.hasPrefix(localCatalog.resolvingSymlinksInPath().path + "/record-2-"), "\(back)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: backPath)) == bytes.prefix(3_000_000))
        #expect(served.stop() == 0)

        // With the service stopped, a verification stays queued: the CLI's controls on it.
        let queued = try await CLI.run(["repository", "verify", "--record", "1"] + catalog)
        let taskID = try #require(queued.stdout.split(separator: ":").first?.split(separator: " ").last.map(String.init), "\(queued.stdout)")
        for (action, expected) in [("pause", "suspended"), ("continue", "new"), ("kill", "killed"), ("restart", "new")] {
            let answer = try await CLI.run(["repository", action, taskID] + catalog)
            #expect(answer.status == 0 && answer.stdout.contains("verify \(expected)"), "\(action): \(answer.stdout)\(answer.stderr)")
        }
        let refused = try await CLI.run(["repository", "continue", taskID] + catalog)
        #expect(refused.status == 1 && refused.stderr.contains("not paused"), "\(refused.stderr)")
    }
}

