import Foundation
import Testing
@testable import Catalog
import PostgresTestSupport

/// The catalog stores a task queue can live in; each test below runs against both.
enum QueueStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh, migrated task queue in one store, with a way to add media servers and libraries.
struct QueueFixture: Sendable {
    let queue: any LibraryTaskQueue
    /// A second, independent connection to the same catalog: another media server's process
    /// (PostgreSQL: a pool of its own; SQLite, one file per host: the same database).
    let otherNode: @Sendable () async throws -> any LibraryTaskQueue
    private let addServer: @Sendable (String) async throws -> Int64
    private let addLibraryTo: @Sendable (Int64) async throws -> Int64

    static func make(_ store: QueueStore) async throws -> QueueFixture {
        switch store {
        case .sqlite:
            let catalog = try CatalogDatabase.inMemory()
            return QueueFixture(
                queue: catalog, otherNode: { catalog },
                addServer: { host in try #require(try await catalog.insert(MediaServer(hostname: host, hwid: host)).id) },
                addLibraryTo: { server in
                    try #require(try await catalog.insert(TapeLibrary(mediaServerId: server, description: "library")).id)
                })
        case .postgres:
            let configuration = try await PostgresTestServer.makeDatabase()
            let catalog = try await PostgresCatalog.connect(configuration)
            return QueueFixture(
                queue: catalog, otherNode: { try await PostgresCatalog.connect(configuration, migrate: false) },
                addServer: { host in try #require(try await catalog.insert(MediaServer(hostname: host, hwid: host)).id) },
                addLibraryTo: { server in
                    try #require(try await catalog.insert(TapeLibrary(mediaServerId: server, description: "library")).id)
                })
        }
    }

    /// A media server with one library: (server id, library id).
    func mediaServer(_ host: String) async throws -> (server: Int64, library: Int64) {
        let server = try await addServer(host)
        return (server, try await addLibraryTo(server))
    }
}

@Suite("Task queue, on SQLite and on PostgreSQL")
struct TaskQueueStoreTests {
    @Test("queued tasks keep their fields and wait by priority, then age", arguments: QueueStore.allCases)
    func pendingOrder(_ store: QueueStore) async throws {
        let fixture = try await QueueFixture.make(store)
        let (_, library) = try await fixture.mediaServer("media-1")
        let queue = fixture.queue
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        let sync = try await queue.enqueue(LibraryTask(type: .sync, priority: 10, libraryId: library, createdAt: created))
        let erase = try await queue.enqueue(LibraryTask(type: .erase, priority: 500, libraryId: library, longErase: true,
                                                        createdAt: created.addingTimeInterval(1)))
        let load = try await queue.enqueue(LibraryTask(type: .load, priority: 10, libraryId: library,
                                                       createdAt: created.addingTimeInterval(2)))
        let done = try await queue.enqueue(LibraryTask(type: .unload, priority: 900, libraryId: library))
        _ = try await queue.updateLibraryTask(try #require(done.id), status: .done, progressPercent: nil, phase: nil,
                                              failure: nil, log: nil, now: Date())
        #expect(try #require(sync.id) < (try #require(erase.id)))
        #expect(try await queue.libraryTask(id: try #require(erase.id)) == erase)
        #expect(erase.longErase == true && erase.createdAt == created.addingTimeInterval(1))
        let pending = try await queue.pendingLibraryTasks(library: library)
        #expect(pending.map(\.id) == [erase.id, sync.id, load.id])
        #expect(try await queue.pendingLibraryTasks(library: library + 1000).isEmpty)
        #expect(try await queue.libraryTask(id: 999_999) == nil)
    }

    @Test("a claim is compare-and-set: once, only while new, never after a cancel", arguments: QueueStore.allCases)
    func claimIsCompareAndSet(_ store: QueueStore) async throws {
        let fixture = try await QueueFixture.make(store)
        let (_, library) = try await fixture.mediaServer("media-1")
        let queue = fixture.queue
        let task = try #require(try await queue.enqueue(LibraryTask(type: .load, libraryId: library)).id)
        let now = Date(timeIntervalSince1970: 1_790_000_100)
        #expect(try await queue.claimLibraryTask(task, phase: "loading", drive: nil, now: now))
        #expect(try await queue.claimLibraryTask(task, phase: "loading", drive: nil, now: now) == false)
        let started = try #require(try await queue.libraryTask(id: task))
        #expect(started.status == .start && started.phase == "loading" && started.startedAt == now)
        let cancelled = try #require(try await queue.enqueue(LibraryTask(type: .unload, libraryId: library)).id)
        _ = try await queue.updateLibraryTask(cancelled, status: .killed, progressPercent: nil, phase: nil, failure: nil,
                                              log: (level: "info", message: "cancelled by operator"), now: now)
        #expect(try await queue.claimLibraryTask(cancelled, phase: "unloading", drive: nil, now: now) == false)
        #expect(try await queue.libraryTask(id: cancelled)?.status == .killed)
    }

    @Test("an engine claims only its own media server's tasks, most urgent first", arguments: QueueStore.allCases)
    func claimNextStaysOnItsNode(_ store: QueueStore) async throws {
        let fixture = try await QueueFixture.make(store)
        let (serverA, libraryA) = try await fixture.mediaServer("media-a")
        let (serverB, libraryB) = try await fixture.mediaServer("media-b")
        let queue = fixture.queue
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        let a1 = try await queue.enqueue(LibraryTask(type: .sync, priority: 10, libraryId: libraryA, createdAt: created))
        let b1 = try await queue.enqueue(LibraryTask(type: .load, priority: 999, libraryId: libraryB, createdAt: created))
        let a2 = try await queue.enqueue(LibraryTask(type: .load, priority: 50, libraryId: libraryA,
                                                     createdAt: created.addingTimeInterval(5)))
        let now = created.addingTimeInterval(60)
        let first = try await queue.claimNextLibraryTask(mediaServer: serverA, phase: "starting", now: now)
        let second = try await queue.claimNextLibraryTask(mediaServer: serverA, phase: "starting", now: now)
        #expect(first?.id == a2.id && second?.id == a1.id)
        #expect(first?.status == .start && first?.startedAt == now)
        #expect(try await queue.claimNextLibraryTask(mediaServer: serverA, phase: "starting", now: now) == nil)
        #expect(try await queue.libraryTask(id: try #require(b1.id))?.status == .new)
        #expect(try await queue.claimNextLibraryTask(mediaServer: serverB, phase: "starting", now: now)?.id == b1.id)
    }

    @Test("the state machine: times follow the status, a final status stays, progress within 0…100",
          arguments: QueueStore.allCases)
    func stateMachine(_ store: QueueStore) async throws {
        let fixture = try await QueueFixture.make(store)
        let (_, library) = try await fixture.mediaServer("media-1")
        let queue = fixture.queue
        let id = try #require(try await queue.enqueue(LibraryTask(type: .erase, libraryId: library)).id)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        let running = try await queue.updateLibraryTask(id, status: .execution, progressPercent: 12.5, phase: "erasing",
                                                        failure: nil, log: nil, now: t0)
        #expect(running.startedAt == t0 && running.finishedAt == nil && running.progressPercent == 12.5)
        let failure = TaskFailure(message: "erase failed", senseKey: 3, asc: 0x51, ascq: 0x00, senseDescription: "ERASE FAILURE")
        let failed = try await queue.updateLibraryTask(id, status: .error, progressPercent: nil, phase: nil, failure: failure,
                                                       log: (level: "error", message: "erase failed"),
                                                       now: t0.addingTimeInterval(30))
        #expect(failed.startedAt == t0 && failed.finishedAt == t0.addingTimeInterval(30))
        #expect(failed.senseKey == 3 && failed.asc == 0x51 && failed.senseDescription == "ERASE FAILURE")
        #expect(try await queue.libraryTask(id: id) == failed)
        await #expect(throws: CatalogError.self) {
            _ = try await queue.updateLibraryTask(id, status: .execution, progressPercent: nil, phase: nil, failure: nil,
                                                  log: nil, now: t0)
        }
        let other = try #require(try await queue.enqueue(LibraryTask(type: .sync, libraryId: library)).id)
        await #expect(throws: CatalogError.self) {
            _ = try await queue.updateLibraryTask(other, status: .execution, progressPercent: 150, phase: nil, failure: nil,
                                                  log: nil, now: t0)
        }
        await #expect(throws: CatalogError.self) {
            _ = try await queue.updateLibraryTask(987_654, status: .done, progressPercent: nil, phase: nil, failure: nil,
                                                  log: nil, now: t0)
        }
        // Nothing of the refused updates was applied.
        #expect(try await queue.libraryTask(id: other)?.status == .new)
        let done = try await queue.updateLibraryTask(other, status: .done, progressPercent: nil, phase: nil, failure: nil,
                                                     log: nil, now: t0)
        #expect(done.progressPercent == 100)
    }

    @Test("after a crash, the started tasks of the node's libraries end broken; nothing else changes",
          arguments: QueueStore.allCases)
    func interruptedTasksBreak(_ store: QueueStore) async throws {
        let fixture = try await QueueFixture.make(store)
        let (_, mine) = try await fixture.mediaServer("media-a")
        let (_, theirs) = try await fixture.mediaServer("media-b")
        let queue = fixture.queue
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        func task(_ library: Int64, _ status: TaskStatus?) async throws -> Int64 {
            let id = try #require(try await queue.enqueue(LibraryTask(type: .move, libraryId: library)).id)
            if let status {
                _ = try await queue.updateLibraryTask(id, status: status, progressPercent: nil, phase: nil, failure: nil,
                                                      log: nil, now: now)
            }
            return id
        }
        let started = try await task(mine, .start)
        let executing = try await task(mine, .execution)
        let suspendedRunning = try await task(mine, .suspended)
        let waiting = try await task(mine, nil)
        let finished = try await task(mine, .done)
        let elsewhere = try await task(theirs, .execution)
        let broken = try await queue.breakInterruptedLibraryTasks(libraries: [mine], reason: "media server restarted",
                                                                  now: now.addingTimeInterval(5))
        #expect(broken.map(\.id) == [started, executing, suspendedRunning])
        for id in [started, executing, suspendedRunning] {
            let stored = try #require(try await queue.libraryTask(id: id))
            #expect(stored.status == .broken && stored.errorCode == "interrupted"
                    && stored.errorMessage == "media server restarted" && stored.finishedAt == now.addingTimeInterval(5))
        }
        #expect(try await queue.libraryTask(id: waiting)?.status == .new)
        #expect(try await queue.libraryTask(id: finished)?.status == .done)
        #expect(try await queue.libraryTask(id: elsewhere)?.status == .execution)
        #expect(try await queue.breakInterruptedLibraryTasks(libraries: [mine], reason: "again", now: now).isEmpty)
    }

    /// Two nodes' engines (PostgreSQL: two processes' pools) of one media server's libraries race
    /// for 300 tasks, four claimers each: every task is started exactly once.
    @Test("engines competing for one queue start every task exactly once", arguments: QueueStore.allCases)
    func competingClaimersStartEachTaskOnce(_ store: QueueStore) async throws {
        let fixture = try await QueueFixture.make(store)
        let (server, library) = try await fixture.mediaServer("media-1")
        let (otherServer, otherLibrary) = try await fixture.mediaServer("media-2")
        let count = 300
        var mine: Set<Int64> = []
        for index in 0..<count {
            mine.insert(try #require(try await fixture.queue.enqueue(
                LibraryTask(type: .move, priority: index % 7, libraryId: library)).id))
            _ = try await fixture.queue.enqueue(LibraryTask(type: .move, libraryId: otherLibrary))
        }
        let nodes: [any LibraryTaskQueue] = [fixture.queue, try await fixture.otherNode()]
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for node in nodes {
                for _ in 0..<4 {
                    group.addTask {
                        var taken: [Int64] = []
                        while let task = try await node.claimNextLibraryTask(mediaServer: server, phase: "racing", now: Date()) {
                            taken.append(try #require(task.id))
                        }
                        return taken
                    }
                }
            }
            var all: [Int64] = []
            for try await taken in group { all += taken }
            return all
        }
        #expect(claimed.count == count)
        #expect(Set(claimed) == mine)
        let started = try await fixture.queue.pendingLibraryTasks(library: library)
        #expect(started.count == count && started.allSatisfy { $0.status == .start && $0.phase == "racing" })
        #expect(try await fixture.queue.pendingLibraryTasks(library: otherLibrary).allSatisfy { $0.status == .new })
        #expect(try await fixture.queue.claimNextLibraryTask(mediaServer: otherServer, phase: "x", now: Date()) != nil)
        if let other = nodes.last as? PostgresCatalog, store == .postgres { await other.close() }
    }
}

/// PostgreSQL only: an engine wakes when a task is queued, from any node, without polling.
@Suite("PostgreSQL wake-ups")
struct PostgresWakeUpTests {
    @Test("a task queued by another node is announced with its library id")
    func notifyOnEnqueue() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let listener = try await PostgresCatalog.connect(configuration)
        let submitter = try await PostgresCatalog.connect(configuration, migrate: false)
        let library = try await submitter.transaction { session in
            let server = try #require(try await session.insert(MediaServer(hostname: "media-1", hwid: "h1")).id)
            return try #require(try await session.insert(TapeLibrary(mediaServerId: server, description: "l")).id)
        }
        let seen = WakeUps()
        let stream = listener.taskQueued()
        let consumer = Task { for await libraryID in stream { await seen.record(libraryID) } }
        // The first element says the listener is in place.
        try await seen.wait { !$0.isEmpty }
        let queued = try #require(try await submitter.enqueue(LibraryTask(type: .sync, libraryId: library)).id)
        try await seen.wait { $0.contains(library) }
        // Queued again by an operator on another node (continue after a pause, restart after an
        // end): announced as a new task is.
        _ = try await submitter.controlLibraryTask(queued, .pause)
        let before = await seen.elements.count
        _ = try await submitter.controlLibraryTask(queued, .continue)
        try await seen.wait { $0.count > before && $0.last == library }
        _ = try await submitter.controlLibraryTask(queued, .kill)
        let beforeRestart = await seen.elements.count
        _ = try await submitter.controlLibraryTask(queued, .restart)
        try await seen.wait { $0.count > beforeRestart && $0.last == library }
        consumer.cancel()
        await submitter.close()
        await listener.close()
    }

    @Test("the change number moves at this process's commits at once, and at another process's when announced")
    func changeNumber() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let catalog = TapeCatalog(try await PostgresCatalog.connect(configuration))
        let changes = catalog.changes
        // This process's write: moved before the write returns (a cached answer read before it is stale).
        let beforeWrite = changes.current
        _ = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "h1"))
        #expect(changes.current > beforeWrite)
        // A read does not move it.
        let beforeRead = changes.current
        _ = try await catalog.mediaServer(hostname: "media-1")
        #expect(changes.current == beforeRead)

        let follower = Task { await catalog.followExternalCommits() }
        // The listener's connection counts as a change (commits may have gone unannounced before it).
        try await Self.wait { changes.current > beforeRead }
        let settled = changes.current
        // Another process (psql): a query changes nothing, then a commit is announced once.
        _ = try await PostgresTestServer.psql(configuration.database, "SELECT count(*) FROM media_servers")
        _ = try await PostgresTestServer.psql(configuration.database, "UPDATE media_servers SET description = 'changed'")
        try await Self.wait { changes.current > settled }
        #expect(changes.current == settled + 1)
        // A transaction that changes several tables is one announcement.
        _ = try await PostgresTestServer.psql(configuration.database, """
            BEGIN; UPDATE media_servers SET description = 'again'; UPDATE global_configuration SET value = value; COMMIT
            """)
        try await Self.wait { changes.current > settled + 1 }
        #expect(changes.current == settled + 2)
        follower.cancel()
        await follower.value
        await catalog.close()
    }

    @Test("a listening connection that stops answering is replaced within its heartbeat, and the change number moves")
    func silentListenerIsReplaced() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let catalog = TapeCatalog(try await PostgresCatalog.connect(configuration))
        let changes = catalog.changes
        let start = changes.current
        let follower = Task { await catalog.followExternalCommits() }
        try await Self.wait { changes.current > start }
        // Every server process of this database but psql's own stops dead (SIGSTOP): its TCP
        // connection stays open and says nothing, as a connection behind a dead route does.
        let pids = try await PostgresTestServer.psql(configuration.database, """
            SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """).split(separator: " ").compactMap { pid_t($0) }
        #expect(!pids.isEmpty)
        for pid in pids { kill(pid, SIGSTOP) }
        defer { for pid in pids { kill(pid, SIGCONT) } }
        let stopped = changes.current
        // The heartbeat (10 s) finds it silent, and a new listening connection counts as a change.
        try await Self.wait { changes.current > stopped }
        // Commits are announced through the new connection.
        let reconnected = changes.current
        _ = try await PostgresTestServer.psql(configuration.database, "UPDATE global_configuration SET value = value")
        try await Self.wait { changes.current > reconnected }
        for pid in pids { kill(pid, SIGCONT) }
        follower.cancel()
        await follower.value
        await catalog.close()
    }

    /// Until `condition` holds (an event awaited, at most 60 s on a busy machine).
    static func wait(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    actor WakeUps {
        var elements: [Int64?] = []
        func record(_ element: Int64?) { elements.append(element) }
        /// Until `condition` holds of what arrived (an event awaited, at most 60 s on a busy machine).
        func wait(_ condition: @Sendable ([Int64?]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition(elements) {
                guard ContinuousClock.now < deadline else { throw CancellationError() }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}

/// Scheduled jobs' runs, claimed per due time, on both stores.
@Suite("Scheduled job runs, on SQLite and on PostgreSQL")
struct JobRunClaimTests {
    /// A store's job operations, as the tests use them.
    struct Jobs: Sendable {
        let claims: any JobRunClaims
        let node: @Sendable () async throws -> any JobRunClaims
        let insert: @Sendable (ScheduledJob) async throws -> Int64
        let schedule: @Sendable (Int64, Date?, Bool) async throws -> Void
        let executions: @Sendable (Int64) async throws -> [JobExecution]
        let job: @Sendable (Int64) async throws -> ScheduledJob?

        static func make(_ store: QueueStore) async throws -> Jobs {
            switch store {
            case .sqlite:
                let catalog = try CatalogDatabase.inMemory()
                return Jobs(claims: catalog, node: { catalog },
                            insert: { try #require(try await catalog.insert($0).id) },
                            schedule: { try await catalog.scheduleJob($0, nextRunAt: $1, deactivate: $2) },
                            executions: { try await catalog.executions(ofJob: $0) },
                            job: { try await catalog.scheduledJob(id: $0) })
            case .postgres:
                let configuration = try await PostgresTestServer.makeDatabase()
                let catalog = try await PostgresCatalog.connect(configuration)
                return Jobs(claims: catalog, node: { try await PostgresCatalog.connect(configuration, migrate: false) },
                            insert: { try #require(try await catalog.insert($0).id) },
                            schedule: { try await catalog.scheduleJob($0, nextRunAt: $1, deactivate: $2) },
                            executions: { try await catalog.executions(ofJob: $0) },
                            job: { try await catalog.scheduledJob(id: $0) })
            }
        }
    }

    @Test("a run due once is claimed once, by one of the media servers racing for it; the next due time again",
          arguments: QueueStore.allCases)
    func oncePerDueTime(_ store: QueueStore) async throws {
        let jobs = try await Jobs.make(store)
        let due = Date(timeIntervalSince1970: 1_790_000_000.25)
        let id = try await jobs.insert(ScheduledJob(name: "nightly copy", kind: .copyToTape))
        try await jobs.schedule(id, due, false)
        let nodes: [any JobRunClaims] = [jobs.claims, try await jobs.node(), try await jobs.node()]
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, node) in nodes.enumerated() {
                for attempt in 0..<4 {
                    group.addTask {
                        try await node.claimJobRun(id, due: due, now: due.addingTimeInterval(Double(index * 4 + attempt))) == nil ? 0 : 1
                    }
                }
            }
            var total = 0
            for try await won in group { total += won }
            return total
        }
        #expect(winners == 1)
        let executions = try await jobs.executions(id)
        #expect(executions.count == 1 && executions.first?.status == .running)
        #expect(try await jobs.job(id)?.lastRunAt == executions.first?.startedAt)
        // Claiming that due time again, later, finds it taken.
        #expect(try await jobs.claims.claimJobRun(id, due: due, now: due.addingTimeInterval(3600)) == nil)
        // The next regular run is a new due time.
        let next = due.addingTimeInterval(86_400)
        try await jobs.schedule(id, next, false)
        #expect(try await jobs.claims.claimJobRun(id, due: next, now: next.addingTimeInterval(1)) != nil)
        #expect(try await jobs.executions(id).count == 2)
    }

    @Test("not claimed: a rescheduled run, a deactivated job, a run not yet due, an unknown job", arguments: QueueStore.allCases)
    func refusals(_ store: QueueStore) async throws {
        let jobs = try await Jobs.make(store)
        let due = Date(timeIntervalSince1970: 1_790_000_000)
        let id = try await jobs.insert(ScheduledJob(name: "sync", kind: .copyToTape))
        try await jobs.schedule(id, due.addingTimeInterval(60), false)
        #expect(try await jobs.claims.claimJobRun(id, due: due, now: due.addingTimeInterval(120)) == nil)
        await #expect(throws: CatalogError.self) {
            _ = try await jobs.claims.claimJobRun(id, due: due.addingTimeInterval(60), now: due)
        }
        try await jobs.schedule(id, due, true)
        #expect(try await jobs.claims.claimJobRun(id, due: due, now: due) == nil)
        #expect(try await jobs.executions(id).isEmpty)
        await #expect(throws: CatalogError.self) { _ = try await jobs.claims.claimJobRun(999_999, due: due, now: due) }
    }
}
