import GRDB

/// Fourteenth migration (issue 13): the API's secrets are the catalog's, so that a token issued
/// by one media server's API is good on every other's. One row a secret (today
/// `jwt_signing_key`), made by the first node that asks and never replaced by another
/// (`CatalogStore.apiSecret`). Before it, each state directory held its own key, and a session
/// was good only on the node it was opened on.
enum SchemaV14 {
    static let identifier = "v14-shared-api-secrets"
    static let table = """
        CREATE TABLE api_secrets (
            name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
            value TEXT NOT NULL CHECK (length(value) >= 64),
            created_at TEXT NOT NULL
        )
        """

    static func migrate(_ db: Database) throws {
        try db.execute(sql: table)
    }
}
