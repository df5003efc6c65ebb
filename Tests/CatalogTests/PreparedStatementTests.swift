import Foundation
import GRDB
import PostgresNIO
import PostgresTestSupport
import Testing
@testable import Catalog

/// List pages run as statements prepared per pooled connection (`PreparedCatalogStatement`):
/// one name per text, a bound on the names, and a page still answered — rightly — when its
/// prepared plan can no longer run.
struct PreparedStatementTests {
    @Test("one name per text (SQL and parameter types); none past the bound, names given keep theirs")
    func names() {
        let names = PreparedStatementNames(limit: 2)
        let first = names.name(sql: "SELECT $1", types: [.int8])
        #expect(first != nil)
        #expect(names.name(sql: "SELECT $1", types: [.int8]) == first)
        let other = names.name(sql: "SELECT $1", types: [.text])
        #expect(other != nil)
        #expect(other != first)
        #expect(names.name(sql: "SELECT 2", types: []) == nil)
        #expect(names.name(sql: "SELECT $1", types: [.int8]) == first)
        // A text forgotten gets a name never given before.
        names.forget(sql: "SELECT $1", types: [.int8])
        let renamed = names.name(sql: "SELECT $1", types: [.int8])
        #expect(renamed != nil)
        #expect(renamed != first)
        #expect(renamed != other)
    }

    @Test("parameter types are those the values are bound with; NULL leaves the type to the server")
    func types() {
        let types = PreparedCatalogStatement.types(of: [1.databaseValue, 1.5.databaseValue, "a".databaseValue,
                                                        Data([1]).databaseValue, .null])
        #expect(types == [.int8, .float8, .text, .bytea, .null])
    }

    /// One connection, so that the second page runs on the connection that prepared the first.
    /// Adding a column changes the result of `library_slots.*`: PostgreSQL refuses to run the plan
    /// prepared before ("cached plan must not change result type").
    @Test("a page prepared before its table changed is answered unprepared, with the table's rows")
    func tableChangedUnderAPreparedPage() async throws {
        var configuration = try await PostgresTestServer.makeDatabase()
        configuration.poolSize = 1
        let catalog = try await PostgresCatalog.connect(configuration)
        defer { Task { await catalog.close() } }
        let server = try #require(try await catalog.insert(MediaServer(hostname: "media-1", hwid: "h1")).id)
        let library = try #require(try await catalog.insert(TapeLibrary(mediaServerId: server)).id)
        _ = try await catalog.reconcile(library: library, snapshot: InventorySnapshot(elements: (0..<30).map {
            InventoryElement(address: 1000 + $0, kind: .storage, isFull: $0 % 2 == 0,
                             volumeTag: $0 % 2 == 0 ? String(format: "PRE%03dL8", $0) : nil)
        }))
        let query = ListQuery(filter: "library_id=\"\(library)\", full=\"true\"", page: 2, limit: 4, sort: "element_address")
        let before = try await catalog.listSlots(query)
        #expect(before.total == 15)
        #expect(before.items.map(\.elementAddress) == [1008, 1010, 1012, 1014])

        _ = try await PostgresTestServer.psql(configuration.database, "ALTER TABLE library_slots ADD COLUMN extra BIGINT")
        _ = try await PostgresTestServer.psql(configuration.database,
                                              "UPDATE library_slots SET volume_tag = 'NEW' || volume_tag WHERE element_address = 1010")
        let after = try await catalog.listSlots(query)
        #expect(after.total == 15)
        #expect(after.items.map(\.elementAddress) == [1008, 1010, 1012, 1014])
        #expect(after.items.map(\.volumeTag) == ["PRE008L8", "NEWPRE010L8", "PRE012L8", "PRE014L8"])
        // Its text's name was dropped: prepared anew under another name, against the table as it is now.
        let again = try await catalog.listSlots(query)
        #expect(again.items.map(\.volumeTag) == after.items.map(\.volumeTag))
    }
}
