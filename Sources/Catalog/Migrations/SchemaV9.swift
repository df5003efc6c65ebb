import GRDB

/// Ninth migration (issue 11, media-server authorisation): a media server that starts against a
/// catalog which already has media servers, under a host name the catalog does not know, asks to
/// be authorised instead of joining (seed: unauthorised_media_servers, media_servers/authorize).
/// Its request is a row here until an administrator authorises it (the row becomes a
/// media_servers row) or deletes it.
enum SchemaV9 {
    static let identifier = "v9-unauthorised-media-servers"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE unauthorised_media_servers (
                id INTEGER PRIMARY KEY,
                hostname TEXT NOT NULL UNIQUE CHECK (length(hostname) BETWEEN 1 AND 255),
                hwid TEXT NOT NULL,
                first_seen_at TEXT NOT NULL,
                last_seen_at TEXT NOT NULL
            );
            """)
    }
}
