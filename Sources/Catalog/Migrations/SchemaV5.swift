import GRDB

/// Fifth migration (issue 10, task controls):
/// - tl_task_queue gains `attempt` (1 for a task's first run; a restart queues the same task
///   again as the next attempt, its earlier errors kept in task_log) and `control_request`
///   (`kill`: an operator asked a running task to stop; the engine that runs it acts on it at
///   the task's next safe point, whichever process wrote it).
enum SchemaV5 {
    static let identifier = "v5-task-controls"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE tl_task_queue ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1);
            ALTER TABLE tl_task_queue ADD COLUMN control_request TEXT
                CHECK (control_request IS NULL OR control_request = 'kill');
            """)
    }
}
