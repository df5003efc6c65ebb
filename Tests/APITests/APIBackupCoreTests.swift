import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibraryService
import Testing
@testable import API

@Suite("REST API: pools, repository, jobs, storage, client listings, drives")
struct APIBackupCoreTests {
    @Test("a tape pool without a writable cartridge is degraded, healthy once it has one; a pool that holds cartridges cannot be deleted")
    func poolHealth() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            let created = try await client.call(.post, "/api/v1/pool_list", session: session,
                                                json: #"{"data": {"pool_name": "tapes", "pool_type": "Tape library", "block_size": 7}}"#)
            #expect(created.status == 201)
            let id = try #require((created.data as? [String: Any])?["id"] as? Int)
            #expect((created.data as? [String: Any])?["health_state"] as? String == "degraded")
            let cartridge = try await client.call(.post, "/api/v1/tape_cartridges", session: session,
                                                  json: #"{"data": {"volume_tag": "POOL01L9", "pool": "tapes"}}"#)
            #expect(cartridge.status == 201)
            let pool = try await client.call(.get, "/api/v1/pool_list/\(id)", session: session)
            #expect((pool.data as? [String: Any])?["health_state"] as? String == "healthy")
            let delete = try await client.call(.delete, "/api/v1/pool_list/\(id)", session: session)
            #expect(delete.status == 409)
            let duplicate = try await client.call(.post, "/api/v1/pool_list", session: session,
                                                  json: #"{"data": {"pool_name": "tapes", "pool_type": "Tape library"}}"#)
            #expect(duplicate.status == 409)
        }
    }

    @Test("repository copying into a native or LTFS tape pool queues a copy task; into a disk pool it answers 201 with a task that ended in error saying why; the record's pool is refused as target")
    func copyingIsRefusedHonestly() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        let disk = try await harness.catalog.insert(Pool(name: "disk", type: .fileSystem))
        _ = try await harness.catalog.insert(Pool(name: "tapes", type: .tapeLibrary))
        _ = try await harness.catalog.insert(Pool(name: "ltfs", type: .tapeLibrary, tapeFormat: .ltfs))
        _ = try await harness.catalog.insert(Pool(name: "disk2", type: .fileSystem))
        let record = try await harness.catalog.insert(BackupRecord(client: "c1", resource: "/home", resourceType: "File system",
                                                                    backupType: .full, poolId: try #require(disk.id)))
        try await harness.test { client in
            let session = try await client.login()
            // Into a native tape pool: queued for the copy runner (which this harness does not run).
            let copy = try await client.call(.post, "/api/v1/repository/\(record.id ?? 0)/copying?pool=tapes", session: session)
            #expect(copy.status == 201)
            let queued = try #require(((copy.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let waiting = try await client.call(.get, "/api/v1/task_queue/\(queued)", session: session)
            #expect((waiting.data as? [String: Any])?["status"] as? String == "new")
            #expect((waiting.data as? [String: Any])?["type"] as? String == "copy")
            // Nothing to verify yet: no complete copy.
            #expect(try await client.call(.post, "/api/v1/repository/\(record.id ?? 0)/verification", session: session).status == 409)
            // Into an LTFS pool: queued too.
            let ltfs = try await client.call(.post, "/api/v1/repository/\(record.id ?? 0)/copying?pool=ltfs", session: session)
            #expect(ltfs.status == 201)
            let ltfsTask = try #require(((ltfs.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let ltfsQueued = try await client.call(.get, "/api/v1/task_queue/\(ltfsTask)", session: session)
            #expect((ltfsQueued.data as? [String: Any])?["status"] as? String == "new")
            // Into another disk pool: recorded as ended in error, saying why.
            let other = try await client.call(.post, "/api/v1/repository/\(record.id ?? 0)/copying?pool=disk2", session: session)
            #expect(other.status == 201)
            let id = try #require(((other.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let task = try await client.call(.get, "/api/v1/task_queue/\(id)", session: session)
            #expect((task.data as? [String: Any])?["status"] as? String == "error")
            #expect(((task.data as? [String: Any])?["error_message"] as? String)?.contains("not built") == true)
            let same = try await client.call(.post, "/api/v1/repository/\(record.id ?? 0)/copying?pool=disk", session: session)
            #expect(same.status == 400)
            let deleted = try await client.call(.delete, "/api/v1/task_queue/error", session: session)
            #expect(deleted.status == 200 && deleted.message.hasPrefix("1 error task"))
        }
    }

    @Test("a library sync job runs now through the scheduler, and job_logs shows its execution")
    func scheduledJobs() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            let bad = try await client.call(.post, "/api/v1/scheduled_jobs", session: session,
                                            json: #"{"data": {"name": "nightly", "kind": "library_sync", "library_id": 1, "crontab": "61 * * * *"}}"#)
            #expect(bad.status == 400)
            let job = try await client.call(.post, "/api/v1/scheduled_jobs", session: session,
                                            json: #"{"data": {"name": "nightly", "kind": "library_sync", "library_id": 1, "crontab": "0 2 * * *"}}"#)
            #expect(job.status == 201)
            let id = try #require((job.data as? [String: Any])?["id"] as? Int)
            let run = try await client.call(.post, "/api/v1/scheduled_jobs/\(id)/executions", session: session)
            #expect(run.status == 201, "\(run.json)")
            #expect((((run.data as? [String: Any])?["task_ids"]) as? [Int])?.count == 1)
            let executions = try await client.call(.get, "/api/v1/scheduled_jobs/\(id)/executions", session: session)
            #expect((executions.data as? [Any])?.count == 1)
            let logs = try await client.call(.get, "/api/v1/job_logs?status=ALL&pageNo=1&pageSize=10", session: session)
            #expect((logs.data as? [String: Any])?["total"] as? Int == 1)
            let failed = try await client.call(.get, "/api/v1/job_logs?status=FAILED", session: session)
            #expect((failed.data as? [String: Any])?["total"] as? Int == 0)
        }
    }

    @Test("client listings are confined to the configured roots: inside lists, outside and traversal are 404 without saying more")
    func clientFilesystem() async throws {
        let root = NSTemporaryDirectory() + "tapelib-root-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/backups/day1", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let harness = try await APIHarness.make(clientRoots: [root])
        defer { harness.close() }
        _ = try await harness.catalog.insert(Pool(name: "Default", type: .fileSystem))
        try await harness.test { client in
            let session = try await client.login()
            let host = harness.server.hostname
            let inside = try await client.call(.post, "/api/v1/list_client_filesystem", session: session,
                                               json: #"{"data": [{"client_hwid": "\#(host)", "path": "\#(root)/backups"}]}"#)
            #expect(inside.status == 200)
            let entries = try #require(((inside.data as? [[String: Any]])?.first?["entries"]) as? [[String: Any]])
            #expect(entries.map { $0["name"] as? String } == ["day1"])
            for path in ["/etc", "\(root)/../../etc", "\(root)/missing"] {
                let outside = try await client.call(.post, "/api/v1/list_client_filesystem", session: session,
                                                    json: #"{"data": [{"client_hwid": "\#(host)", "path": "\#(path)"}]}"#)
                #expect(outside.status == 404, "\(path)")
            }
            let stranger = try await client.call(.post, "/api/v1/list_client_filesystem", session: session,
                                                 json: #"{"data": [{"client_hwid": "someone-else"}]}"#)
            #expect(stranger.status == 404)
            let storage = try await client.call(.post, "/api/v1/storage_local_catalogs", session: session,
                                                json: #"{"data": {"path": "\#(root)/backups/day1/.."}}"#)
            #expect(storage.status == 201, "\(storage.json)")
            #expect((storage.data as? [String: Any])?["path"] as? String == "\(root)/backups")
            let again = try await client.call(.post, "/api/v1/storage_local_catalogs", session: session,
                                              json: #"{"data": {"path": "\#(root)/backups"}}"#)
            #expect(again.status == 409)
            let escape = try await client.call(.post, "/api/v1/storage_local_catalogs", session: session, json: #"{"data": {"path": "/etc"}}"#)
            #expect(escape.status == 400)
        }
    }

    @Test("a drive taken out of its library is a candidate, and added back it is served again")
    func driveAssignment() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            #expect((try await client.call(.get, "/api/v1/library_tape_drives/candidates", session: session).data as? [Any])?.isEmpty == true)
            let out = try await client.call(.delete, "/api/v1/library_tape_drives", session: session, json: #"{"ids": [2]}"#)
            #expect(out.status == 200, "\(out.json)")
            let candidates = try await client.call(.get, "/api/v1/library_tape_drives/candidates", session: session)
            #expect((candidates.data as? [[String: Any]])?.map { $0["id"] as? Int } == [2])
            let clean = try await client.call(.patch, "/api/v1/library_tape_drives/2/clean", session: session)
            #expect(clean.status == 409)
            let back = try await client.call(.post, "/api/v1/library_tape_drives", session: session,
                                             json: #"{"data": {"ids": [2], "tape_library_id": 1}}"#)
            #expect(back.status == 201, "\(back.json)")
            #expect(try await client.call(.patch, "/api/v1/library_tape_drives/2/clean", session: session).status == 200)
        }
        #expect(await harness.server.service.engine.isAttached(1))
    }

    @Test("a media server waiting for authorisation is listed, authorised by an administrator (201, then a media server), refused to a supervisor, and unknown names are 404")
    func mediaServerAuthorisation() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        guard case .waiting(let request) = try await harness.catalog.admitMediaServer(hostname: "media-new", hwid: "hw-new") else {
            Issue.record("a second media server was admitted without authorisation"); return
        }
        let requestID = try #require(request.id)
        _ = try await harness.catalog.admitMediaServer(hostname: "media-gone", hwid: "hw-gone")
        try await harness.addUser("viewer", roles: [.supervisor])
        try await harness.test { client in
            let session = try await client.login()
            let list = try await client.call(.get, "/api/v1/unauthorised_media_servers?filter_data=hostname%3D%22media-new%22", session: session)
            #expect(list.status == 200)
            #expect((list.data as? [[String: Any]])?.compactMap { $0["hostname"] as? String } == ["media-new"])
            let one = try await client.call(.get, "/api/v1/unauthorised_media_servers/\(requestID)", session: session)
            #expect((one.data as? [String: Any])?["hwid"] as? String == "hw-new")

            let viewer = try await client.login("viewer")
            let refused = try await client.call(.post, "/api/v1/media_servers/authorize", session: viewer,
                                                json: #"{"data": {"hostname": "media-new"}}"#)
            #expect(refused.status == 403)
            for bad in [#"{"data": {"hostname": ""}}"#, #"{"data": {"hostname": "a b"}}"#, #"{"data": {"hostname": 7}}"#,
                        #"{"data": {"hostname": "media-new", "extra": 1}}"#, #"{"hostname": "media-new"}"#] {
                let answer = try await client.call(.post, "/api/v1/media_servers/authorize", session: session, json: bad)
                #expect(answer.status == 400, "\(bad): \(answer.status) \(answer.message)")
            }
            #expect(try await client.call(.post, "/api/v1/media_servers/authorize", session: session,
                                          json: #"{"data": {"hostname": "media-unknown"}}"#).status == 404)
            // Nothing above authorised it.
            #expect(try await harness.catalog.mediaServer(hostname: "media-new") == nil)

            let authorised = try await client.call(.post, "/api/v1/media_servers/authorize", session: session,
                                                   json: #"{"data": {"hostname": "media-new"}}"#)
            #expect(authorised.status == 201, "\(authorised.message)")
            let serverID = try #require((authorised.data as? [String: Any])?["id"] as? Int)
            let server = try await client.call(.get, "/api/v1/media_servers/\(serverID)", session: session)
            #expect((server.data as? [String: Any])?["hwid"] as? String == "hw-new")
            #expect(try await client.call(.get, "/api/v1/unauthorised_media_servers/\(requestID)", session: session).status == 404)

            // Bulk delete: one known id and one unknown → 207 with per-id results; then the known one is gone.
            let gone = try #require(try await harness.catalog.listUnauthorisedMediaServers(ListQuery()).items.first?.id)
            let bulk = try await client.call(.delete, "/api/v1/unauthorised_media_servers", session: session,
                                             json: #"{"ids": [\#(gone), 999]}"#)
            #expect(bulk.status == 207)
            #expect(try await harness.catalog.listUnauthorisedMediaServers(ListQuery()).total == 0)
            #expect(try await client.call(.delete, "/api/v1/unauthorised_media_servers/\(gone)", session: session).status == 404)
        }
    }

    @Test("a tape pool takes its format, block size and read-back; bad values and tape options on other pools are 400")
    func tapePoolOptions() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            let created = try await client.call(.post, "/api/v1/pool_list", session: session, json: """
                {"data": {"pool_name": "vault", "pool_type": "Tape library", "tape_format": "native",
                          "tape_block_size": 1048576, "verify_after_write": false}}
                """)
            #expect(created.status == 201, "\(created.message)")
            let pool = try #require(created.data as? [String: Any])
            #expect(pool["tape_format"] as? String == "native")
            #expect(pool["tape_block_size"] as? Int == 1_048_576)
            #expect(pool["verify_after_write"] as? Bool == false)
            for bad in [#"{"data": {"pool_name": "b1", "pool_type": "Tape library", "tape_block_size": 1000}}"#,
                        #"{"data": {"pool_name": "b2", "pool_type": "Tape library", "tape_format": "tar"}}"#,
                        #"{"data": {"pool_name": "b3", "pool_type": "File system", "verify_after_write": true}}"#,
                        #"{"data": {"pool_name": "b4", "pool_type": "Tape library", "tape_format": "ltfs", "tape_block_size": 2097152}}"#] {
                let answer = try await client.call(.post, "/api/v1/pool_list", session: session, json: bad)
                #expect(answer.status == 400, "\(bad): \(answer.status) \(answer.message)")
            }
            #expect(try await harness.catalog.pool(named: "b1") == nil)
        }
    }

    @Test("restoring queues a restore into a directory inside the client roots as a new file; outside, traversal, another client and a record without a copy on tape are refused")
    func restoring() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("inside"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let harness = try await APIHarness.make(clientRoots: [root.path])
        defer { harness.close() }
        let disk = try await harness.catalog.insert(Pool(name: "disk", type: .fileSystem))
        let tapes = try await harness.catalog.insert(Pool(name: "tapes", type: .tapeLibrary))
        let record = try await harness.catalog.insert(BackupRecord(client: "c1", resource: "/srv/db dump.tar", resourceType: "File",
                                                                    backupType: .full, poolId: try #require(disk.id)))
        let recordID = try #require(record.id)
        let host = harness.server.hostname
        @Sendable func body(_ path: String, client: String? = nil) -> String {
            #"{"data": {"restore_task": {"target_client": "\#(client ?? host)", "destination_path": "\#(path)"}}}"#
        }
        try await harness.test { client in
            let session = try await client.login()
            let uri = "/api/v1/repository/\(recordID)/restoring"
            // No copy on tape yet.
            #expect(try await client.call(.post, uri, session: session, json: body(root.path + "/inside")).status == 409)
            _ = try await harness.catalog.recordCopy(of: recordID, inPool: try #require(tapes.id), state: .complete)
            let queued = try await client.call(.post, uri, session: session, json: body(root.path + "/inside"))
            #expect(queued.status == 201, "\(queued.message)")
            let id = try #require(((queued.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let task = try #require(try await client.call(.get, "/api/v1/task_queue/\(id)", session: session).data as? [String: Any])
            #expect(task["type"] as? String == "restore" && task["status"] as? String == "new")
            let canonicalRoot = URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path
            #expect(task["target_path"] as? String == canonicalRoot + "/inside/record-\(recordID)-db_dump.tar", "\(task)")
            for bad in [body("/etc"), body(root.path + "/inside/../../etc"), body(root.path + "/missing")] {
                #expect(try await client.call(.post, uri, session: session, json: bad).status == 400, "\(bad)")
            }
            #expect(try await client.call(.post, uri, session: session, json: body(root.path, client: "another-host")).status == 404)
        }
    }

    @Test("moving queues a move only for an archive inside a local catalog of its pool (409 otherwise, nothing queued); restoring into a local-catalog pool queues a restore into its directory once the archive is gone; one of destination_path and target_pool")
    func movingAndRestoringIntoAPool() async throws {
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-local-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: local) }
        let harness = try await APIHarness.make(clientRoots: [local.path])
        defer { harness.close() }
        let disk = try await harness.catalog.insert(Pool(name: "disk", type: .fileSystem))
        let diskID = try #require(disk.id)
        let tapes = try await harness.catalog.insert(Pool(name: "tapes", type: .tapeLibrary))
        _ = try await harness.catalog.insertStorage(StorageLocalCatalog(path: local.path, poolId: diskID))
        let inside = local.appendingPathComponent("a.tar").path
        FileManager.default.createFile(atPath: inside, contents: Data("archive".utf8))
        let owned = try await harness.catalog.insert(BackupRecord(client: "c1", resource: "/a", resourceType: "File", backupType: .full,
                                                                   poolId: diskID, sizeBytes: 7, path: inside))
        let elsewhere = try await harness.catalog.insert(BackupRecord(client: "c1", resource: "/b", resourceType: "File", backupType: .full,
                                                                       poolId: diskID, sizeBytes: 7, path: "/etc/hostname"))
        let host = harness.server.hostname
        try await harness.test { client in
            let session = try await client.login()
            let before = try await harness.catalog.listBackupTasks(ListQuery(limit: 100)).total
            let refused = try await client.call(.post, "/api/v1/repository/\(elsewhere.id ?? 0)/moving?pool=tapes", session: session)
            #expect(refused.status == 409 && refused.message.contains("not inside a local catalog"), "\(refused.message)")
            #expect(try await harness.catalog.listBackupTasks(ListQuery(limit: 100)).total == before)
            let moved = try await client.call(.post, "/api/v1/repository/\(owned.id ?? 0)/moving?pool=tapes", session: session)
            #expect(moved.status == 201, "\(moved.message)")
            let id = try #require(((moved.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let task = try #require(try await client.call(.get, "/api/v1/task_queue/\(id)", session: session).data as? [String: Any])
            #expect(task["type"] as? String == "move" && task["status"] as? String == "new")

            let uri = "/api/v1/repository/\(owned.id ?? 0)/restoring"
            @Sendable func body(_ fields: String) -> String { #"{"data": {"restore_task": {"target_client": "\#(host)"\#(fields)}}}"# }
            let copy = try await harness.catalog.recordCopy(of: try #require(owned.id), inPool: try #require(tapes.id), state: .complete)
            // Neither, both: 400. Unknown pool: 404. The record still has its archive: 409. A tape pool: 400.
            #expect(try await client.call(.post, uri, session: session, json: body("")).status == 400)
            #expect(try await client.call(.post, uri, session: session,
                                          json: body(#", "destination_path": "\#(local.path)", "target_pool": "disk""#)).status == 400)
            #expect(try await client.call(.post, uri, session: session, json: body(#", "target_pool": "nope""#)).status == 404)
            #expect(try await client.call(.post, uri, session: session, json: body(#", "target_pool": "disk""#)).status == 409)
            // The move ran (as the runner records it): no archive on this host, the tape pool's.
            let copyID = try #require(copy.id)
            try await harness.catalog.markCopyVerified(copyID)
            try await harness.catalog.completeMove(record: try #require(owned.id), into: try #require(tapes.id), copy: copyID, expectedPath: inside)
            #expect(try await client.call(.post, uri, session: session, json: body(#", "target_pool": "tapes""#)).status == 400)
            let restore = try await client.call(.post, uri, session: session, json: body(#", "target_pool": "disk""#))
            #expect(restore.status == 201, "\(restore.message)")
            let restoreID = try #require(((restore.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let queued = try #require(try await client.call(.get, "/api/v1/task_queue/\(restoreID)", session: session).data as? [String: Any])
            #expect((queued["target_path"] as? String)?.hasPrefix(local.path + "/record-\(owned.id ?? 0)-") == true, "\(queued)")
            #expect(queued["pool_id"] as? Int == Int(diskID))
        }
    }

    @Test("a copy_to_tape job names its tape pool and optionally a source pool; other pools are refused")
    func copyJobs() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        let disk = try #require(try await harness.catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tapes = try #require(try await harness.catalog.insert(Pool(name: "tapes", type: .tapeLibrary)).id)
        try await harness.test { client in
            let session = try await client.login()
            func job(_ pool: Int64, source: Int64?) -> String {
                #"{"data": {"name": "to tape \#(pool)-\#(source ?? 0)", "kind": "copy_to_tape", "pool_id": \#(pool)"#
                    + (source.map { #", "source_pool_id": \#($0)"# } ?? "") + "}}"
            }
            let created = try await client.call(.post, "/api/v1/scheduled_jobs", session: session, json: job(tapes, source: disk))
            #expect(created.status == 201, "\(created.message)")
            #expect((created.data as? [String: Any])?["source_pool_id"] as? Int == Int(disk))
            #expect(try await client.call(.post, "/api/v1/scheduled_jobs", session: session, json: job(disk, source: nil)).status == 400)
            #expect(try await client.call(.post, "/api/v1/scheduled_jobs", session: session, json: job(tapes, source: tapes)).status == 400)
        }
    }

    @Test("the task controls reach task_queue with queue: task_queue (pause, continue, kill, restart a queued copy); wrong states are 400")
    func backupTaskControls() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        let task = try await harness.catalog.enqueue(BackupTask(type: .verify, repositoryId: nil))
        let id = try #require(task.id)
        try await harness.test { client in
            let session = try await client.login()
            func call(_ path: String, _ field: String = "task_id") async throws -> Answer {
                let value = field == "task_id" ? "\(id)" : "[\(id)]"
                return try await client.call(.post, "/api/v1/\(path)", session: session,
                                             json: #"{"data": {"\#(field)": \#(value), "queue": "task_queue"}}"#)
            }
            let paused = try await call("put_task_on_pause")
            #expect(paused.status == 200 && (paused.data as? [String: Any])?["status"] as? String == "suspended", "\(paused.message)")
            #expect(try await call("put_task_on_pause").status == 400)
            #expect((try await call("continue_task_working").data as? [String: Any])?["status"] as? String == "new")
            #expect((try await call("kill_task").data as? [String: Any])?["status"] as? String == "killed")
            #expect(try await call("kill_task").status == 400)
            let restarted = try await call("restart_task", "tasks_ids")
            #expect(restarted.status == 200, "\(restarted.message)")
            #expect(try await harness.catalog.backupTask(id: id)?.status == .new)
            // An unknown queue name is a 400.
            let bad = try await client.call(.post, "/api/v1/kill_task", session: session,
                                            json: #"{"data": {"task_id": \#(id), "queue": "other"}}"#)
            #expect(bad.status == 400)
        }
    }
}

