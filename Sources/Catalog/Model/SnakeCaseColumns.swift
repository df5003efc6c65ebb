import GRDB

/// Records whose Swift properties (camelCase) map to snake_case columns, as the catalog's
/// tables are named. Conforming gives the column strategies once, instead of per record.
public protocol SnakeCaseColumns: FetchableRecord {}

extension SnakeCaseColumns {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
}

extension SnakeCaseColumns where Self: EncodableRecord {
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}
