import GRDB

/// Fifth migration (issue 10, task controls):
/// - tl_task_queue gains `attempt` (1 for a task's first run; a restart queues the same task
///   again as the next attempt, its earlier errors kept in task_log) and `control_request`
///   (`kill`: an operator asked a running task to stop; the engine that runs it acts on it at
///   the task's next safe point, whichever process wrote it), and `initialize_elements` (a sync
///   that first has the changer re-inventory itself with INITIALIZE ELEMENT STATUS).
/// - tape_cartridges gain `is_registered`: a data cartridge a sync finds that nobody registered
///   (POST tape_cartridges, or an import into a pool) is recorded as unregistered (0), and the
///   sync says so (the API answers 422). Cartridges already in the catalog stay registered;
///   cleaning cartridges, recognised by their CLN label, are registered by the sync itself.
enum SchemaV5 {
    static let identifier = "v5-task-controls"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE tl_task_queue ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1);
            ALTER TABLE tl_task_queue ADD COLUMN control_request TEXT
                CHECK (control_request IS NULL OR control_request = 'kill');
            ALTER TABLE tl_task_queue ADD COLUMN initialize_elements INTEGER NOT NULL DEFAULT 0
                CHECK (initialize_elements IN (0, 1));
            ALTER TABLE tape_cartridges ADD COLUMN is_registered INTEGER NOT NULL DEFAULT 1
                CHECK (is_registered IN (0, 1));
            """)
    }
}
