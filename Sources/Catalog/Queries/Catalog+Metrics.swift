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

extension CatalogStore {
    public func metricsSnapshot() async throws(CatalogError) -> CatalogMetricsSnapshot {
        try await readSQL { sql in
            var sizes: [(String, Int)] = []
            for table in ["tape_libraries", "library_slots", "tape_cartridges", "library_tape_drives", "tl_task_queue",
                          "task_queue", "repository", "pools", "users"] {
                sizes.append((table, try sql.value(Int.self, "SELECT COUNT(*) FROM \(table)") ?? 0))
            }
            // Times are stored as the same text in both stores; only the arithmetic differs.
            let seconds = switch sql.dialect {
            case .sqlite: "(julianday(finished_at) - julianday(started_at)) * 86400.0"
            case .postgres: "EXTRACT(EPOCH FROM (CAST(finished_at AS TIMESTAMP) - CAST(started_at AS TIMESTAMP)))"
            }
            let byteOrder: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let tasks = try sql.rows("""
                SELECT type, status, COUNT(*) AS n,
                       CAST(AVG(CASE WHEN finished_at IS NOT NULL AND started_at IS NOT NULL THEN \(seconds) END)
                            AS DOUBLE PRECISION) AS seconds
                FROM tl_task_queue GROUP BY type, status
                """, []).map { row in
                CatalogMetricsSnapshot.TaskRow(type: row["type"], status: row["status"], count: row["n"], averageSeconds: row["seconds"])
            }.sorted { $0.type == $1.type ? byteOrder($0.status, $1.status) : byteOrder($0.type, $1.type) }
            func counts(_ table: String) throws -> [(String, Int)] {
                try sql.rows("SELECT state, COUNT(*) AS n FROM \(table) GROUP BY state", [])
                    .map { (($0["state"] as String?) ?? "unknown", $0["n"] as Int) }.sorted { byteOrder($0.0, $1.0) }
            }
            return CatalogMetricsSnapshot(tableSizes: sizes, tasks: tasks, driveStates: try counts("library_tape_drives"),
                                          changerStates: try counts("medium_changers"))
        }
    }
}
