import Foundation
import Logging
import PostgresNIO

extension PostgresCatalog {
    /// The channel every commit that changed a table is announced on (`SchemaV13`'s triggers).
    static let changeChannel = "tapelib_changes"

    /// Wake-ups for an engine: an element each time a task is queued (its library id, nil when
    /// it has none). The first element after each (re)connection is nil: anything queued
    /// meanwhile is for the engine's poll, which stays as the fallback. Ends when the consumer
    /// stops iterating or the catalog is closed.
    public func taskQueued() -> AsyncStream<Int64?> {
        let (stream, continuation) = AsyncStream<Int64?>.makeStream()
        let listener = listen(on: Self.taskChannel, what: "queued tasks") { payload in
            continuation.yield(payload.flatMap { Int64($0) })
        } ended: {
            continuation.finish()
        }
        continuation.onTermination = { _ in listener.cancel() }
        return stream
    }

    /// Listens on `channel` on a connection of its own (not one of the pool's), reconnecting a
    /// second after a failure; `received` gets nil at each (re)connection, then each
    /// notification's payload. The task ends, calling `ended`, when it is cancelled or the
    /// catalog is closed.
    func listen(on channel: String, what: String, received: @escaping @Sendable (String?) -> Void,
                ended: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        let configuration = self.configuration
        let logger = self.logger
        let listener = Task {
            while !Task.isCancelled {
                do {
                    let connection = try await Self.connection(configuration, logger: logger)
                    do {
                        try await connection.listen(on: channel) { notifications in
                            received(nil)
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                group.addTask {
                                    for try await notification in notifications { received(notification.payload) }
                                }
                                // A connection that died without a word (a half-open TCP
                                // connection) delivers nothing and raises nothing: a query every
                                // `heartbeat` that must answer within it ends the listening, and
                                // the loop connects again (the nil then says commits may have
                                // gone unannounced).
                                group.addTask {
                                    while true {
                                        try await Task.sleep(for: Self.heartbeat)
                                        try await Self.answersWithin(Self.heartbeat, connection, logger: logger)
                                    }
                                }
                                try await group.next()
                                group.cancelAll()
                            }
                        }
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("listening for \(what) failed, listening again: \(error)")
                }
                try? await Task.sleep(for: .seconds(1))
            }
            ended()
        }
        listeners.withLock { listeners in
            listeners.removeAll { $0.isCancelled }
            listeners.append(listener)
        }
        return listener
    }

    /// Takes the session-level advisory lock that names media server `id`, on a connection of
    /// its own held until `close()` (or until this process dies: PostgreSQL then ends the session
    /// and the lock with it). False when another process holds it: on a shared catalog the state
    /// directory's lock no longer keeps two services off one media server, this does.
    ///
    /// A connection that dies (the server restarted, the network failed) takes the lock with it:
    /// every `interval` the holding connection must answer within `heartbeat`, and when it does
    /// not, the lock is taken again on a new connection (retried each second while the catalog
    /// cannot be reached). If another process took it meanwhile, `lost` is called once and the
    /// watch ends: that process now serves the media server, and this one must stop.
    public func holdMediaServerLock(_ id: Int64, checkEvery interval: Duration = heartbeat,
                                    lost: @escaping @Sendable (CatalogError) -> Void) async throws(CatalogError) -> Bool {
        let key = Self.mediaServerLockClass << 32 | (id & 0xFFFF_FFFF)
        guard let first = try await Self.takeLock(key, configuration, logger: logger) else { return false }
        lockConnections.add(first.connection)
        // Not `self`: the catalog's deinit cancels its tasks.
        let watch = Task { [configuration, logger, lockConnections] in
            var holding = first
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try await Self.answersWithin(Self.heartbeat, holding.connection, logger: logger)
                    continue
                } catch is CancellationError {
                    break
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("the connection holding media server \(id)'s lock failed (\(error)): taking the lock again")
                }
                lockConnections.remove(holding.connection)
                try? await holding.connection.close()
                while !Task.isCancelled {
                    do {
                        guard let again = try await Self.takeLock(key, configuration, replacing: holding.session, logger: logger) else {
                            logger.error("media server \(id)'s lock was taken by another process while this one's connection was down")
                            lost(.conflict("media server \(id) is now served by another tapelib serve: its lock was taken "
                                           + "while this process's connection to the catalog was down"))
                            return
                        }
                        holding = again
                        lockConnections.add(again.connection)
                        logger.notice("media server \(id)'s lock is held again")
                        break
                    } catch {
                        logger.warning("media server \(id)'s lock cannot be taken again yet: \(error)")
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
        }
        listeners.withLock { listeners in
            listeners.removeAll { $0.isCancelled }
            listeners.append(watch)
        }
        return true
    }

    /// A lock's holding session: its backend's pid and start time (a pid alone may be reused).
    struct LockSession: Equatable, Sendable {
        var pid: Int32
        var started: String
    }

    /// `pg_try_advisory_lock(key)` on a connection of its own: the connection and its session if
    /// the lock was taken, nil (the connection closed) if another session holds it.
    ///
    /// `replacing`: the session that held it on a connection this process has given up on. After
    /// a network failure the server may not know that connection is dead (until its TCP
    /// keepalives say so), and that session still holds the lock: it is this process's, so it is
    /// ended (`pg_terminate_backend`) and the lock taken once it has let go, within 10 s.
    private static func takeLock(_ key: Int64, _ configuration: PostgresCatalogConfiguration, replacing stale: LockSession? = nil,
                                 logger: Logger) async throws(CatalogError) -> (connection: PostgresConnection, session: LockSession)? {
        let connection = try await Self.connection(configuration, logger: logger)
        do {
            func rows(_ sql: String, _ values: [Int64]) async throws -> [PostgresRow] {
                var binds = PostgresBindings()
                for value in values { binds.append(value) }
                var result: [PostgresRow] = []
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                    result.append(row)
                }
                return result
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                let taken = try await rows("""
                    SELECT pg_try_advisory_lock($1), pg_backend_pid(),
                        CAST((SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS TEXT)
                    """, [key])
                if let row = taken.first {
                    let (held, pid, started) = try row.decode((Bool, Int32, String?).self)
                    if held { return (connection, LockSession(pid: pid, started: started ?? "")) }
                }
                // Who holds it: a bigint key is classid (high half) and objid (low half).
                let holders = try await rows("""
                    SELECT l.pid, CAST(a.backend_start AS TEXT) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
                    """, [key >> 32, key & 0xFFFF_FFFF])
                let holder = try holders.first.map { row in
                    let (pid, started) = try row.decode((Int32, String?).self)
                    return LockSession(pid: pid, started: started ?? "")
                }
                // Held by another process's session; or by this process's stale one, ended here
                // (then, as when nobody holds it any more, the lock is tried again).
                if (holder != nil && holder != stale) || ContinuousClock.now > deadline {
                    try? await connection.close()
                    return nil
                }
                if let holder { _ = try await rows("SELECT pg_terminate_backend(CAST($1 AS INTEGER))", [Int64(holder.pid)]) }
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            try? await connection.close()
            throw CatalogError(postgres: error)
        }
    }

    /// How often a listening connection is asked to answer, and how long it has to.
    public static let heartbeat: Duration = .seconds(10)

    struct ConnectionSilent: Error, CustomStringConvertible {
        var description: String { "the connection did not answer within \(PostgresCatalog.heartbeat)" }
    }

    /// `SELECT 1` on `connection`, answered within `limit`, else `ConnectionSilent`. The query
    /// runs in a task of its own, not a child: a query on a dead connection may not end when
    /// cancelled, and a task group would wait for it. It ends when the caller closes the
    /// connection after the error.
    static func answersWithin(_ limit: Duration, _ connection: PostgresConnection, logger: Logger) async throws {
        let (outcomes, outcome) = AsyncStream<Bool>.makeStream()
        let query = Task {
            do {
                for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                outcome.yield(true)
            } catch {
                outcome.yield(false)
            }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            outcome.yield(false)
        }
        var iterator = outcomes.makeAsyncIterator()
        let answered = await iterator.next() ?? false
        timer.cancel()
        outcome.finish()
        if !answered {
            query.cancel()
            throw ConnectionSilent()
        }
    }

    /// The high half of a media server lock's key ("tlms").
    public static let mediaServerLockClass: Int64 = 0x746C_6D73
}
