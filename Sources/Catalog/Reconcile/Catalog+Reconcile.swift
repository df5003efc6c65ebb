import Foundation
import GRDB
import GRDBSQLite

extension CatalogDatabase {
    /// Applies a physical inventory of `library` to library_slots, tape_cartridges locations and
    /// loaded drives, in one transaction: new elements become slots, unknown cartridges are
    /// created (type from the barcode suffix), known ones move, and cartridges of this library
    /// that no element reports any more become offline. The physical library is the truth.
    public func reconcile(library libraryID: Int64, snapshot: InventorySnapshot,
                          now: Date = Date()) async throws(CatalogError) -> ReconcileSummary {
        try await reconcile(library: libraryID, snapshot: snapshot, now: now, skipUnchanged: true)
    }

    /// `skipUnchanged: false` reads every stored element in full, as before element digests, and
    /// neither uses nor leaves a `ReconcileCache` entry: the tests compare both paths on random
    /// snapshots. `failBeforeCommit` throws after all writes, for the rollback tests.
    func reconcile(library libraryID: Int64, snapshot: InventorySnapshot, now: Date,
                   skipUnchanged: Bool, failBeforeCommit: Bool = false) async throws(CatalogError) -> ReconcileSummary {
        let cache = reconcileCache
        do {
            return try await writer.writeWithoutTransaction { db in
                // Reconcile only writes references it has just read or created in this same
                // transaction (the library, tape types, slot ids it assigned), and detaches
                // cartridges before deleting their slots, so SQLite's per-row foreign-key look-ups
                // are redundant here and cost a quarter of a large sync. The pragma only takes
                // effect outside a transaction, hence the manual transaction; the tests run
                // `PRAGMA foreign_key_check` after every reconciliation.
                // The commit of a large sync would also checkpoint; the checkpointer does it after.
                let autoCheckpoint = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 1000
                // Restored whatever happens, through the C API: GRDB refuses statements of a
                // cancelled access, and the connection must never be left without foreign keys.
                defer {
                    sqlite3_exec(db.sqliteConnection, "PRAGMA foreign_keys = ON", nil, nil, nil)
                    if checkpointer != nil {
                        sqlite3_exec(db.sqliteConnection, "PRAGMA wal_autocheckpoint = \(autoCheckpoint)", nil, nil, nil)
                    }
                }
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                if checkpointer != nil { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
                let result = Result { () throws -> ReconcileSummary in
                    var summary = ReconcileSummary()
                    var trace = PhaseTrace()
                    var pagesBeforeCommit: Int32 = 0
                    try db.inTransaction(.immediate) {
                        // Inside the transaction: no other connection can commit until this one does.
                        let dataVersion = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? -1
                        var cached = cache.beginReconcile(library: libraryID, dataVersion: dataVersion)
                        let usedCache = skipUnchanged && cached != nil
                        if !skipUnchanged { cached = nil }
                        var store = try SQLiteReconcileStore(db: db, libraryID: libraryID)
                        var reconciler = Reconciler(libraryID: libraryID, now: now)
                        reconciler.skipUnchanged = skipUnchanged
                        summary = try reconciler.apply(snapshot, cachedSlots: cached.take(), store: &store)
                        if let slotsAfter = reconciler.slotsAfter {
                            cache.stage(library: libraryID, slots: slotsAfter, dataVersion: dataVersion)
                        }
                        trace.mark(usedCache ? "apply (cached slots)" : "apply")
                        if trace.isEnabled { pagesBeforeCommit = PhaseTrace.pagesWritten(db) }
                        if failBeforeCommit { throw CatalogError.storage("reconcile failure injected before commit") }
                        return .commit
                    }
                    trace.mark("commit")
                    if trace.isEnabled { trace.note("\(PhaseTrace.pagesWritten(db) - pagesBeforeCommit) pages written") }
                    trace.report()
                    return summary
                }
                cache.finishReconcile(succeeded: (try? result.get()) != nil)
                if let checkpointer { checkpointer.checkpointSoon() }
                return try result.get()
            }
        } catch {
            throw CatalogError(error)
        }
    }

    /// Foreign-key violations in the whole catalog (empty when consistent); for tests and `check`.
    public func foreignKeyViolations() async throws(CatalogError) -> [String] {
        try await read { db in
            try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                "\(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) -> \(row[2] as String? ?? "?")"
            }
        }
    }
}
