import GRDB

/// Twelfth migration (issue 13): an index in the order engines claim tasks (a status, then
/// priority high to low, then age), so that claiming the next task reads its first row instead
/// of sorting every waiting task — with thousands queued, claims went from O(queue) to O(1).
enum SchemaV12 {
    static let identifier = "v12-task-claim-order"
    static let statement = "CREATE INDEX tl_task_queue_claim ON tl_task_queue(status, priority DESC, created_at, id)"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: statement)
    }
}
