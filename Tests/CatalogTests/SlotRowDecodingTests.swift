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
