import Catalog
import Foundation
import GRDB
import HWSimServer
import PostgresTestSupport
import Testing

/// Issue 13's multi-node test: one PostgreSQL catalog (a real server, `scripts/pg-server.sh`),
/// two `tapelib serve` processes with different host names, each serving its own library of a
/// `tapelib-hwsim serve` process, both with the API on.
///
/// - The second node waits for authorisation until the first node's API authorises it.
/// - 200 syncs submitted at once through both nodes' APIs (half of them for the other node's
///   library) each run exactly once, on the node that owns the library: each task's log has one
///   "started on media server …" line, naming the owner.
/// - `kill -9` of node B while its tasks run leaves node A's work untouched (A's tasks end, none
///   broken, A's catalog equal to its simulator) and B's interrupted tasks as they were; after B
///   restarts, its library is synced, its interrupted tasks are `broken`, and once its queue has
///   drained 0 cartridges' catalog locations differ from its simulator.
@Suite(.serialized, .timeLimit(.minutes(20))) struct MultiNodeTests {
    /// A's library: the crash test's profile with other serials and barcodes (M…, CLN009L1), so
    /// that the two libraries share no device and no cartridge.
    static func profileA(in directory: URL) throws -> URL {
        var text = try String(contentsOf: CrashLibrary.profile, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"K0", with: "\"M0").replacingOccurrences(of: "CLN001L1", with: "CLN009L1")
            .replacingOccurrences(of: "CRASH", with: "NODEA")
        let url = directory.appendingPathComponent("node-a-library.json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static let terminal: Set<String> = ["done", "error", "killed", "broken", "obsoleted"]

    @Test func twoMediaServersShareOnePostgresCatalog() async throws {
        let database = try await PostgresTestServer.makeDatabase()
        let url = "postgres://tapelib@127.0.0.1:\(database.port)/\(database.database)?sslmode=disable"
        let catalog = TapeCatalog(try await PostgresCatalog.connect(database))
        let directory = try CLI.temporaryDirectory()
        let a = CrashRig(directory: directory.appendingPathComponent("node-a"))
        let b = CrashRig(directory: directory.appendingPathComponent("node-b"))
        for rig in [a, b] { try FileManager.default.createDirectory(at: rig.directory, withIntermediateDirectories: true) }
        defer { a.stopAll(); b.stopAll() }
        a.profile = try Self.profileA(in: directory)
        // B's mechanics are slower (a move ~0.4 s, a format ~3 s), so that it is caught mid-task.
        b.speed = "0.05"
        for (rig, host) in [(a, "node-a"), (b, "node-b")] {
            rig.catalogArguments = ["--state-dir", rig.catalogDirectory.path, "--catalog", url, "--hostname", host]
            // No queue poll within the test: tasks queued elsewhere (the other node's API,
            // `tapelib task`) must reach the owning engine through LISTEN/NOTIFY.
            rig.queuePoll = "3600"
        }
        try await a.startSimulator()
        try await b.startSimulator()

        // Node A is the catalog's first media server; B waits until A's API authorises it, and
        // serves its library from its next start (its authorisation poll is the queue poll).
        let startA = Date()
        try await a.startService()
        var clientA = LiveAPITests.Client(base: URL(string: "http://127.0.0.1:\(try await a.apiPort())")!)
        try await clientA.login(password: ServeProcess.adminPassword)
        let libraryA = try await Self.library(of: "node-a", in: catalog)
        a.library = libraryA
        try await b.startService()
        _ = try await b.apiPort()
        try await b.waitFor("node B to ask for authorisation", seconds: 120) { b.serviceLog.contains("is not authorised in this catalog") }
        let authorised = try await clientA.call("POST", "/api/v1/media_servers/authorize", #"{"data": {"hostname": "node-b"}}"#)
        #expect(authorised.status == 201, "\(authorised.json)")
        try await b.stopService()
        let startB = Date()
        try await b.startService()
        var clientB = LiveAPITests.Client(base: URL(string: "http://127.0.0.1:\(try await b.apiPort())")!)
        try await clientB.login(password: ServeProcess.adminPassword)
        let libraryB = try await Self.library(of: "node-b", in: catalog)
        b.library = libraryB
        try await a.waitForRecovery(catalog: catalog, since: startA)
        try await b.waitForRecovery(catalog: catalog, since: startB)
        #expect(libraryA != libraryB)

        // One session for every node (the signing key is the catalog's): a session opened on A
        // is taken by B with its CSRF token, and a logout through B ends it on A too (A learns
        // of the revocation from B's commit, so the test waits for that, within a bound).
        var roaming = LiveAPITests.Client(base: clientA.base)
        try await roaming.login(password: ServeProcess.adminPassword)
        var roamingOnB = roaming
        roamingOnB.base = clientB.base
        let onB = try await roamingOnB.call("GET", "/api/v1/tape_libraries")
        #expect(onB.status == 200, "\(onB.json)")
        #expect(try await roaming.call("GET", "/api/v1/tape_libraries").status == 200)
        var wrongCSRF = roamingOnB
        wrongCSRF.csrf = clientB.csrf
        #expect(try await wrongCSRF.call("GET", "/api/v1/tape_libraries").status == 403)
        #expect(try await roamingOnB.call("DELETE", "/api/v1/auth/logout").status == 200)
        let loggedOut = roaming
        try await a.waitFor("node A to refuse the session logged out on B", seconds: 60) {
            try await loggedOut.call("GET", "/api/v1/tape_libraries").status == 401
        }

        // A second process under a host name another one serves is refused (another state
        // directory, so the state directory's lock does not stop it; the catalog's lock does).
        let duplicate = try await CLI.run(["serve", "--sim", "autoloader", "--no-api", "--catalog", url, "--hostname", "node-a",
                                           "--state-dir", directory.appendingPathComponent("duplicate").path])
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("already served by another tapelib serve"), "\(duplicate.stderr)")

        // 200 submissions at once, through both APIs, half of each node's for the other's library.
        let owner = [libraryA: "node-a", libraryB: "node-b"]
        let clients = [clientA, clientB]
        let submitted = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
            for index in 0..<200 {
                let client = clients[index % 2]
                let library = (index / 2) % 2 == 0 ? libraryA : libraryB
                group.addTask {
                    let answer = try await client.call("POST", "/api/v1/tape_libraries/\(library)/sync")
                    #expect(answer.status == 201, "\(answer.json)")
                    let ids = try client.taskIDs(answer)
                    return (try #require(ids.first), library)
                }
            }
            var byTask: [Int: Int64] = [:]
            for try await (id, library) in group { byTask[id] = library }
            return byTask
        }
        #expect(submitted.count == 200)
        let ids = submitted.keys.sorted()
        try await a.waitFor("the 200 syncs to end", seconds: 600) {
            try await Self.unfinished(ids, in: catalog) == 0
        }
        let starts = try await Self.startLines(of: ids, in: catalog)
        var runsByTask: [Int: [String]] = [:]
        for (id, host) in starts { runsByTask[id, default: []].append(host) }
        var wrongNode = 0, notOnce = 0
        for (id, library) in submitted {
            let runs = runsByTask[id] ?? []
            if runs.count != 1 { notOnce += 1; Issue.record("task \(id): started \(runs.count) times (\(runs))") }
            if runs.contains(where: { $0 != owner[library] }) {
                wrongNode += 1
                Issue.record("task \(id) of library \(library) ran on \(runs), not on \(owner[library] ?? "?")")
            }
        }
        let statuses = try await Self.statuses(ids, in: catalog)
        #expect(statuses.values.allSatisfy { $0 == "done" }, "\(Dictionary(grouping: statuses.values, by: { $0 }).mapValues(\.count))")
        // Progress and outcome are the catalog's: either node's API shows a task the other ran.
        for id in ids.prefix(10) {
            for client in clients {
                let row = try #require(try await client.call("GET", "/api/v1/tl_task_queue/\(id)").json["data"] as? [String: Any])
                #expect(row["status"] as? String == "done")
            }
        }
        print("multi-node: 200 submissions through 2 APIs: \(starts.count) starts, not exactly once \(notOnce), on the wrong node \(wrongNode)")

        // kill -9 of node B while its tasks run.
        var random = SplitMix64(seed: UInt64.random(in: 1...UInt64(UInt32.max)))
        let drivesA = try await catalog.drives(library: libraryA).compactMap(\.id)
        let drivesB = try await catalog.drives(library: libraryB).compactMap(\.id)
        let planA = CrashWorkload.plan(physical: try await a.simulatorInventory(), drives: drivesA, importing: false, using: &random)
        let planB = CrashWorkload.plan(physical: try await b.simulatorInventory(), drives: drivesB, using: &random)
        for action in planA.operatorActions { try await a.control(action) }
        for action in planB.operatorActions { try await b.control(action) }
        let startOfPhase = Date()
        for (plan, library) in [(planB, libraryB), (planA, libraryA)] {
            for arguments in plan.submissions {
                // `tapelib task` on the shared catalog, from neither node.
                let result = try await CLI.run(["task", "submit"] + arguments + ["--library", String(library), "--catalog", url])
                #expect(result.status == 0, "task submit \(arguments): \(result.stderr)")
            }
        }
        try await b.waitFor("a task of node B to be running", seconds: 120) {
            try await catalog.pendingLibraryTasks(library: libraryB).contains { task in
                task.status == .execution && (task.startedAt.map { Date().timeIntervalSince($0) > 0.05 } ?? false)
            }
        }
        try await b.killService()
        let interrupted = try await catalog.pendingLibraryTasks(library: libraryB).filter { $0.status != .new }.compactMap(\.id)
        let waitingB = try await catalog.pendingLibraryTasks(library: libraryB).filter { $0.status == .new }.compactMap(\.id)
        #expect(!interrupted.isEmpty)

        // Node A's work goes on and ends; B's tasks stay as B left them (nobody else touches them).
        try await a.waitForQueueToDrain(catalog: catalog)
        let tasksA = try await Self.tasks(library: libraryA, since: startOfPhase, in: catalog)
        #expect(!tasksA.isEmpty)
        #expect(tasksA.allSatisfy { Self.terminal.contains($0.status.rawValue) && $0.status != .broken }, "\(tasksA.map { ($0.id, $0.status) })")
        let checkA = try await CrashCheck.compare(catalog: catalog, library: libraryA, barcodes: Self.barcodes(in: a.profile),
                                                  physical: try await a.simulatorInventory())
        #expect(checkA.mismatches.isEmpty && checkA.stranded.isEmpty, "\(checkA)")
        let startsA = try await Self.startLines(of: tasksA.compactMap { $0.id.map(Int.init) }, in: catalog)
        // Every task A started has one start line, naming A (a task refused before it started,
        // e.g. for a drive that cannot take its cartridge, has none).
        let startedA = Set(tasksA.filter { $0.startedAt != nil }.compactMap { $0.id.map(Int.init) })
        #expect(startsA.map(\.id).sorted() == startedA.sorted(), "\(startsA) \(tasksA.map { ($0.id, $0.status, $0.errorMessage) })")
        #expect(startsA.allSatisfy { $0.host == "node-a" }, "\(startsA)")
        let stillB = try await Self.statuses(interrupted.map(Int.init) + waitingB.map(Int.init), in: catalog)
        #expect(interrupted.allSatisfy { ["start", "execution"].contains(stillB[Int($0)]) }, "\(stillB)")
        #expect(waitingB.allSatisfy { stillB[Int($0)] == "new" }, "\(stillB)")

        // Node B restarts: its library is synced, its interrupted tasks are broken, its queue runs.
        let restart = Date()
        try await b.startService()
        try await b.waitForRecovery(catalog: catalog, since: restart)
        let afterRestart = try await Self.statuses(interrupted.map(Int.init), in: catalog)
        #expect(afterRestart.values.allSatisfy { $0 == "broken" }, "\(afterRestart)")
        try await b.waitForDriveRecovery()
        try await b.waitForQueueToDrain(catalog: catalog)
        let checkB = try await CrashCheck.compare(catalog: catalog, library: libraryB, barcodes: Set(CrashLibrary.allBarcodes),
                                                  physical: try await b.simulatorInventory())
        #expect(checkB.mismatches.isEmpty, "\(checkB.mismatches)")
        #expect(checkB.stranded.isEmpty, "\(checkB.stranded)")
        print("""
            multi-node: kill -9 of node B with \(interrupted.count) task(s) running and \(waitingB.count) queued; \
            node A's \(tasksA.count) task(s) ended meanwhile (none broken); after the restart \
            \(afterRestart.values.filter { $0 == "broken" }.count) broken; mismatches A \(checkA.mismatches.count) \
            B \(checkB.mismatches.count), stranded B \(checkB.stranded.count)
            """)

        // Node A's claim lost: the connection holding its lock ends (as a server restart or a
        // network failure would end it) and another process takes the lock before A takes it
        // again (here the test, as a second `serve` under A's host name would first). A stops,
        // with the conflict, and leaves no task running; B serves on.
        let serverA = try #require(try await catalog.mediaServer(hostname: "node-a")?.id)
        let claimant = try await PostgresCatalog.connect(database)
        var claimed = false
        for _ in 0..<20 where !claimed {
            if let holder = try await PostgresTestServer.mediaServerLockHolder(database.database, id: serverA) {
                _ = try await PostgresTestServer.psql(database.database, "SELECT pg_terminate_backend(\(holder))")
            }
            // Until the terminated backend has let go; if A took it again first, terminate anew.
            for _ in 0..<100 where !claimed {
                claimed = try await claimant.holdMediaServerLock(serverA, lost: { _ in })
                if !claimed { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
        #expect(claimed)
        try await a.waitFor("node A to stop once its claim is lost", seconds: 120) { a.serviceExitStatus != nil }
        #expect(a.serviceExitStatus != 0)
        #expect(a.serviceLog.contains("now served by another tapelib serve"), "\(a.serviceLog.suffix(2_000))")
        let runningA = try await catalog.pendingLibraryTasks(library: libraryA).filter { $0.status != .new }
        #expect(runningA.isEmpty, "\(runningA.map { ($0.id, $0.status) })")
        #expect(b.serviceExitStatus == nil)
        await claimant.close()
        await catalog.close()
        try? FileManager.default.removeItem(at: directory)
    }

    static func library(of host: String, in catalog: TapeCatalog) async throws -> Int64 {
        var found: Int64?
        let deadline = Date().addingTimeInterval(120)
        while found == nil && Date() < deadline {
            found = try await catalog.readSQL { sql in
                try sql.rows("""
                    SELECT tape_libraries.id FROM tape_libraries JOIN media_servers ON media_servers.id = tape_libraries.media_server_id
                    WHERE media_servers.hostname = ?
                    """, [host.databaseValue]).first.flatMap { $0["id"] as Int64? }
            }
            if found == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        return try #require(found, "no library of \(host) in the catalog")
    }

    static func unfinished(_ ids: [Int], in catalog: TapeCatalog) async throws -> Int {
        try await statuses(ids, in: catalog).values.filter { !terminal.contains($0) }.count
    }

    static func statuses(_ ids: [Int], in catalog: TapeCatalog) async throws -> [Int: String] {
        let list = ids.map(String.init).joined(separator: ",")
        guard !list.isEmpty else { return [:] }
        return try await catalog.readSQL { sql in
            var result: [Int: String] = [:]
            for row in try sql.rows("SELECT id, status FROM tl_task_queue WHERE id IN (\(list))", []) {
                if let id = row["id"] as Int?, let status = row["status"] as String? { result[id] = status }
            }
            return result
        }
    }

    /// Every "started on media server HOST" line of the tasks' logs.
    static func startLines(of ids: [Int], in catalog: TapeCatalog) async throws -> [(id: Int, host: String)] {
        let list = ids.map(String.init).joined(separator: ",")
        guard !list.isEmpty else { return [] }
        return try await catalog.readSQL { sql in
            try sql.rows("SELECT tl_task_id, message FROM task_log WHERE tl_task_id IN (\(list)) AND message LIKE 'started on media server %'", [])
                .compactMap { row -> (id: Int, host: String)? in
                    guard let id = row["tl_task_id"] as Int?, let message = row["message"] as String? else { return nil }
                    let host = message.dropFirst("started on media server ".count).split(separator: " ").first.map(String.init) ?? ""
                    return (id, host)
                }
        }
    }

    static func tasks(library: Int64, since start: Date, in catalog: TapeCatalog) async throws -> [LibraryTask] {
        let page = try await catalog.listLibraryTasks(ListQuery(filter: "library_id=\"\(library)\"", limit: ListQuery.maximumLimit))
        #expect(page.total <= ListQuery.maximumLimit)
        return page.items.filter { $0.createdAt >= start }
    }

    static func barcodes(in profile: URL) throws -> Set<String> {
        let text = try String(contentsOf: profile, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\"barcode\": *\"([^\"]+)\"")
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        })
    }
}
