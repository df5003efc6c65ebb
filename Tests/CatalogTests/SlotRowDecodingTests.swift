import Foundation
import GRDB
import Testing
@testable import Catalog

/// `LibrarySlot(row:)` finds its columns in one pass over the row's names: the same record from
/// a row in any column order, the first of a repeated name, and an error (not a crash) for a
/// missing column or a value of the wrong type.
struct SlotRowDecodingTests {
    static var columns: [(String, DatabaseValue)] {
        [("id", 7.databaseValue), ("library_id", 2.databaseValue), ("element_address", 4097.databaseValue),
         ("kind", "storage".databaseValue), ("full", 1.databaseValue), ("volume_tag", "A00001L8".databaseValue),
         ("source_element", .null), ("accessible", 1.databaseValue), ("exception", 0.databaseValue), ("asc", .null),
         ("ascq", .null)]
    }
    static var dictionary: [String: (any DatabaseValueConvertible)?] {
        Dictionary(uniqueKeysWithValues: columns.map { ($0.0, $0.1 as (any DatabaseValueConvertible)?) })
    }
    static let expected = LibrarySlot(id: 7, libraryId: 2, elementAddress: 4097, kind: .storage, full: true,
                                      volumeTag: "A00001L8", accessible: true)

    @Test func anyColumnOrderGivesTheSameSlot() throws {
        let row = Row(Self.dictionary)
        #expect(try LibrarySlot(row: row) == Self.expected)
        // Extra columns (a list's tapelib_total and tapelib_row) are passed over.
        var wider = Self.dictionary
        wider["tapelib_total"] = 40_000
        wider["tapelib_row"] = 1
        #expect(try LibrarySlot(row: Row(wider)) == Self.expected)
    }

    @Test func theFirstOfARepeatedNameWinsAsInGRDB() async throws {
        let database = try DatabaseQueue()
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT 7 AS id, 2 AS library_id, 4097 AS element_address, 'storage' AS kind, 1 AS "full",
                    'A00001L8' AS volume_tag, NULL AS source_element, 1 AS accessible, 0 AS exception, NULL AS asc,
                    NULL AS ascq, 99 AS id
                """)
        }
        let row = try #require(rows.first)
        #expect(try LibrarySlot(row: row) == Self.expected)
        #expect(row["id"] as Int64? == 7)
    }

    @Test func aMissingColumnOrAWrongValueIsAnError() {
        var missing = Self.dictionary
        missing["element_address"] = nil
        #expect(throws: CatalogError.self) { try LibrarySlot(row: Row(missing)) }
        var wrongKind = Self.dictionary
        wrongKind["kind"] = "robot"
        #expect(throws: CatalogError.self) { try LibrarySlot(row: Row(wrongKind)) }
        var nullFlag = Self.dictionary
        nullFlag["full"] = DatabaseValue.null
        #expect(throws: (any Error).self) { try LibrarySlot(row: Row(nullFlag)) }
    }
}

/// PostgreSQL's rows decode by position: the positions found once from the statement's column
/// names, in any order, then each row's values read through them.
struct SlotValueRowDecodingTests {
    @Test func valuesInAnyColumnOrderGiveTheSameSlot() throws {
        let columns = [("tapelib_total", 40_000.databaseValue), ("tapelib_row", 1.databaseValue)]
            + SlotRowDecodingTests.columns.reversed()
        let slots = try PostgresSession.records(LibrarySlot.self, columns: columns.map(\.0), rows: [columns.map(\.1), columns.map(\.1)])
        #expect(slots == [SlotRowDecodingTests.expected, SlotRowDecodingTests.expected])
    }

    @Test func aMissingColumnOrAWrongValueIsAnError() {
        let columns = SlotRowDecodingTests.columns
        let names = columns.map(\.0)
        #expect(throws: CatalogError.self) {
            try PostgresSession.records(LibrarySlot.self, columns: Array(names.dropLast()), rows: [columns.dropLast().map(\.1)])
        }
        for (column, wrong) in [("element_address", "4097".databaseValue), ("full", DatabaseValue.null),
                                ("kind", "robot".databaseValue), ("volume_tag", 5.5.databaseValue)] {
            let values = columns.map { $0.0 == column ? wrong : $0.1 }
            #expect(throws: CatalogError.self, "\(column)") {
                try PostgresSession.records(LibrarySlot.self, columns: names, rows: [values])
            }
        }
    }

    /// A record that is not positional is decoded from a GRDB row of each value row.
    @Test func otherRecordsGoThroughAGRDBRow() throws {
        struct Named: FetchableRecord, Equatable {
            var id: Int64
            var name: String
            init(id: Int64, name: String) { self.id = id; self.name = name }
            init(row: Row) throws { id = row["id"]; name = row["name"] }
        }
        let rows = [[1.databaseValue, "one".databaseValue], [2.databaseValue, "two".databaseValue]]
        let named = try PostgresSession.records(Named.self, columns: ["id", "name"], rows: rows)
        #expect(named == [Named(id: 1, name: "one"), Named(id: 2, name: "two")])
    }
}
