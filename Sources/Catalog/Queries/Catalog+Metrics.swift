import Foundation
import GRDB

/// What `/metrics` reports of the catalog at a scrape.
public struct CatalogMetricsSnapshot: Sendable {
    public struct TaskRow: Sendable {
        public var type: String
        public var status: String
        public var count: Int
        public var averageSeconds: Double?
    }

    public var tableSizes: [(String, Int)]
    public var tasks: [TaskRow]
    public var driveStates: [(String, Int)]
    public var changerStates: [(String, Int)]
}

extension CatalogDatabase {
    public func metricsSnapshot() async throws(CatalogError) -> CatalogMetricsSnapshot {
        try await read { db in
            var sizes: [(String, Int)] = []
            for table in ["tape_libraries", "library_slots", "tape_cartridges", "library_tape_drives", "tl_task_queue",
                          "task_queue", "repository", "pools", "users"] {
                sizes.append((table, try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0))
            }
            let tasks = try Row.fetchAll(db, sql: """
                SELECT type, status, count(*) AS n,
                       avg(CASE WHEN finished_at IS NOT NULL AND started_at IS NOT NULL
                                THEN (julianday(finished_at) - julianday(started_at)) * 86400.0 END) AS seconds
                FROM tl_task_queue GROUP BY type, status ORDER BY type, status
                """).map { row in
                CatalogMetricsSnapshot.TaskRow(type: row["type"], status: row["status"], count: row["n"], averageSeconds: row["seconds"])
            }
            let drives = try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM library_tape_drives GROUP BY state ORDER BY state")
                .map { (($0["state"] as String?) ?? "unknown", $0["n"] as Int) }
            let changers = try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM medium_changers GROUP BY state ORDER BY state")
                .map { (($0["state"] as String?) ?? "unknown", $0["n"] as Int) }
            return CatalogMetricsSnapshot(tableSizes: sizes, tasks: tasks, driveStates: drives, changerStates: changers)
        }
    }
}
