import GRDB

/// Sixth migration (issue 11, the coded error): a failed task keeps its failure's stable code
/// (`error_code`, LibraryService's ServiceErrorCode: `medium_incompatible`, `device_error`,
/// `killed`, `interrupted`…) beside its message, so the API and the CLI report the same code.
enum SchemaV6 {
    static let identifier = "v6-error-codes"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE tl_task_queue ADD COLUMN error_code TEXT
                CHECK (error_code IS NULL OR (length(error_code) BETWEEN 1 AND 64));
            UPDATE tl_task_queue SET error_code = 'interrupted' WHERE status = 'broken' AND error_message IS NOT NULL;
            UPDATE tl_task_queue SET error_code = 'killed' WHERE status = 'killed';
            """)
    }
}
