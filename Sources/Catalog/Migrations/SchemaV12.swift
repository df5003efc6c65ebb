import GRDB

/// Twelfth migration (issue 13): an index in the order engines claim tasks (a status, then
/// priority high to low, then age), so that claiming the next task reads waiting tasks in claim
/// order and stops at the first of its own libraries, instead of sorting every waiting task.
/// (Other media servers' waiting tasks ahead of it are still passed over one by one.)
enum SchemaV12 {
    static let identifier = "v12-task-claim-order"
    static let statement = "CREATE INDEX tl_task_queue_claim ON tl_task_queue(status, priority DESC, created_at, id)"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: statement)
    }
}
