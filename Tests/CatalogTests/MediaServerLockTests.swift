import Foundation
import Synchronization
import Testing
@testable import Catalog
import PostgresTestSupport

/// A media server's claim on a shared catalog is a session-level advisory lock on a connection
/// of its own. The connection dying (here: its backend terminated, as a server restart or a
/// network failure would end it) takes the lock with it; the holder takes it again, or — when
/// another process took it meanwhile — reports the claim lost.
struct MediaServerLockTests {
    /// Losses reported to `lost`.
    final class Losses: Sendable {
        let errors = Mutex<[CatalogError]>([])
        func report(_ error: CatalogError) { errors.withLock { $0.append(error) } }
        var count: Int { errors.withLock { $0.count } }
    }

    /// Whether a backend other than `first` holds media server `id`'s lock, within a minute.
    static func heldAnew(_ database: String, id: Int64, after first: Int) async throws -> Bool {
        try await eventually {
            guard let now = try await PostgresTestServer.mediaServerLockHolder(database, id: id) else { return false }
            return now != first
        }
    }

    static func terminate(_ database: String, _ pid: Int) async throws {
        _ = try await PostgresTestServer.psql(database, "SELECT pg_terminate_backend(\(pid))")
    }

    /// Polls `condition` every 50 ms for up to a minute (a busy machine's bound, not a guess at
    /// how long it takes).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<1_200 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a lock whose connection died is taken again on a new connection, and nothing is reported lost")
    func retakenAfterTheConnectionDies() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let catalog = try await PostgresCatalog.connect(configuration)
        let losses = Losses()
        #expect(try await catalog.holdMediaServerLock(7, checkEvery: .milliseconds(100), lost: losses.report))
        let first = try #require(try await PostgresTestServer.mediaServerLockHolder(configuration.database, id: 7))
        try await Self.terminate(configuration.database, first)
        #expect(try await Self.heldAnew(configuration.database, id: 7, after: first))
        #expect(losses.count == 0)
        // Still held by this process: another one is refused.
        let other = try await PostgresCatalog.connect(configuration)
        #expect(try await !other.holdMediaServerLock(7, lost: { _ in }))
        await other.close()
        await catalog.close()
        #expect(try await Self.eventually { try await PostgresTestServer.mediaServerLockHolder(configuration.database, id: 7) == nil })
    }

    /// A network failure the server has not noticed: the holding backend is stopped (SIGSTOP),
    /// so the connection does not answer while its session still holds the lock. The holder
    /// gives up on it, finds its own stale session holding the lock, ends it, and takes the lock
    /// again — not "lost". (The stopped backend acts on the termination once continued: the
    /// test continues it when the new connection has asked for it.)
    @Test("a lock still held by this process's stale session is taken back, not reported lost")
    func staleSessionTakenBack() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let catalog = try await PostgresCatalog.connect(configuration)
        let losses = Losses()
        #expect(try await catalog.holdMediaServerLock(11, checkEvery: .milliseconds(100), lost: losses.report))
        let first = try #require(try await PostgresTestServer.mediaServerLockHolder(configuration.database, id: 11))
        #expect(kill(pid_t(first), SIGSTOP) == 0)
        let asked = try await Self.eventually {
            try await PostgresTestServer.psql(configuration.database, """
                SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_terminate_backend%' AND pid <> pg_backend_pid()
                """) != "0"
        }
        #expect(kill(pid_t(first), SIGCONT) == 0)
        #expect(asked)
        #expect(try await Self.heldAnew(configuration.database, id: 11, after: first))
        #expect(losses.count == 0)
        await catalog.close()
    }

    @Test("a lock another process took while the holder's connection was down is reported lost, once")
    func reportedLostWhenTakenMeanwhile() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let holder = try await PostgresCatalog.connect(configuration)
        let losses = Losses()
        // The holder looks at its connection every 2 s: the other process takes the lock first
        // (if the holder took it again first, its new connection is ended too, and so on).
        #expect(try await holder.holdMediaServerLock(9, checkEvery: .seconds(2), lost: losses.report))
        let other = try await PostgresCatalog.connect(configuration)
        let otherLosses = Losses()
        var taken = false
        for _ in 0..<20 where !taken {
            if let pid = try await PostgresTestServer.mediaServerLockHolder(configuration.database, id: 9) { try await Self.terminate(configuration.database, pid) }
            for _ in 0..<100 where !taken {
                taken = try await other.holdMediaServerLock(9, lost: otherLosses.report)
                if !taken { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
        #expect(taken)
        #expect(try await Self.eventually { losses.count > 0 })
        let error = try #require(losses.errors.withLock { $0.first })
        guard case .conflict = error else {
            Issue.record("expected a conflict, got \(error)")
            return
        }
        #expect(losses.count == 1)
        #expect(otherLosses.count == 0)
        await holder.close()
        await other.close()
    }
}
