import Foundation
import PostgresTestSupport
import Testing
@testable import Catalog

/// The filter language on both stores: the same rows, the same queries, the same pages — and
/// the pages are the ones the language defines (checked here by hand, not only by agreement).
@Suite("Lists with filters, on SQLite and on PostgreSQL")
struct ListStoreTests {
    /// Both stores filled with the same media servers and tasks.
    struct Stores: Sendable {
        let sqlite: CatalogDatabase
        let postgres: PostgresCatalog
        let base = Date(timeIntervalSince1970: 1_790_000_000)

        static func make() async throws -> Stores {
            let stores = Stores(sqlite: try CatalogDatabase.inMemory(), postgres: try await PostgresTestServer.makeCatalog())
            let hosts = [("Zeta", "rack B"), ("alpha", "50% full"), ("beta", "rack a"), ("_gamma", "5000 full"), ("Beta2", "Rack C")]
            for (index, (host, description)) in hosts.enumerated() {
                let server = MediaServer(hostname: host, hwid: "hw\(index)", description: description,
                                         lastOnline: index == 4 ? nil : stores.base.addingTimeInterval(Double(index) * 60))
                let a = try #require(try await stores.sqlite.insert(server).id)
                let b = try #require(try await stores.postgres.insert(server).id)
                #expect(a == b)
            }
            let library = TapeLibrary(mediaServerId: 1, description: "lib")
            _ = try await stores.sqlite.insert(library)
            _ = try await stores.postgres.insert(library)
            let types: [LibraryTaskType] = [.sync, .load, .unload, .move, .erase]
            for index in 0..<40 {
                let task = LibraryTask(type: types[index % 5], priority: [10, 500, 100, 50][index % 4], libraryId: 1,
                                       createdAt: stores.base.addingTimeInterval(Double(index) * 1.5))
                _ = try await stores.sqlite.enqueue(task)
                _ = try await stores.postgres.enqueue(task)
            }
            return stores
        }
    }

    @Test("task pages: equality, ranges on numbers and times, sorts, paging — identical on both stores")
    func taskPages() async throws {
        let stores = try await Stores.make()
        let cutoff = "2026-09-21T14:13:50Z"  // base + 30 s
        let queries = [
            ListQuery(),
            ListQuery(filter: "type=\"erase\""),
            ListQuery(filter: "priority<\"100\"", sort: "priority", direction: .descending),
            ListQuery(filter: "created_at>\"\(cutoff)\", type=\"load\"", limit: 3),
            ListQuery(filter: "created_at>\"\(cutoff)\"", page: 3, limit: 4, sort: "created_at", direction: .descending),
            ListQuery(page: 2, limit: 7, sort: "type"),
            ListQuery(filter: "status=\"new\", library_id=\"1\"", page: 9, limit: 10),
        ]
        for query in queries {
            let sqlite = try await stores.sqlite.listLibraryTasks(query)
            let postgres = try await stores.postgres.listLibraryTasks(query)
            #expect(sqlite.total == postgres.total, "\(query)")
            #expect(sqlite.items.map(\.id) == postgres.items.map(\.id), "\(query)")
            #expect(sqlite.items == postgres.items, "\(query)")
        }
        let erase = try await stores.postgres.listLibraryTasks(ListQuery(filter: "type=\"erase\""))
        #expect(erase.total == 8 && erase.items.allSatisfy { $0.type == .erase })
        let late = try await stores.postgres.listLibraryTasks(ListQuery(filter: "created_at>\"\(cutoff)\""))
        #expect(late.total == 19)  // tasks 21…39 were created after base + 30 s
    }

    @Test("text: byte order (capitals first), ~ ignores ASCII case, % and _ are literal; identical on both stores")
    func textSemantics() async throws {
        let stores = try await Stores.make()
        let cases: [(ListQuery, [String])] = [
            (ListQuery(), ["Beta2", "Zeta", "_gamma", "alpha", "beta"]),
            (ListQuery(sort: "hostname", direction: .descending), ["beta", "alpha", "_gamma", "Zeta", "Beta2"]),
            (ListQuery(filter: "description~\"RACK\""), ["Beta2", "Zeta", "beta"]),
            (ListQuery(filter: "description~\"50%\""), ["alpha"]),
            (ListQuery(filter: "hostname~\"_\""), ["_gamma"]),
            (ListQuery(filter: "hostname<\"a\""), ["Beta2", "Zeta", "_gamma"]),
            (ListQuery(filter: "hostname>\"Zeta\""), ["_gamma", "alpha", "beta"]),
            (ListQuery(filter: "last_online>\"2026-09-21T14:14:50Z\""), ["_gamma", "beta"]),  // base + 90 s
        ]
        for (query, hosts) in cases {
            let sqlite = try await stores.sqlite.listMediaServers(query)
            let postgres = try await stores.postgres.listMediaServers(query)
            #expect(sqlite.items.map(\.hostname) == hosts, "sqlite \(query)")
            #expect(postgres.items.map(\.hostname) == hosts, "postgres \(query)")
            #expect(sqlite.total == postgres.total)
        }
    }

    @Test("refusals are the language's, whichever the store: unknown fields, bad values, paging bounds")
    func refusals() async throws {
        let stores = try await Stores.make()
        for query in [ListQuery(filter: "colour=\"red\""), ListQuery(filter: "priority=\"high\""),
                      ListQuery(filter: "status=\"lost\""), ListQuery(page: 0), ListQuery(limit: 100_000),
                      ListQuery(sort: "secret")] {
            var sqlite = ""
            var postgres = ""
            do { _ = try await stores.sqlite.listLibraryTasks(query) } catch { sqlite = "\(error)" }
            do { _ = try await stores.postgres.listLibraryTasks(query) } catch { postgres = "\(error)" }
            #expect(!sqlite.isEmpty && sqlite == postgres, "\(query): \(sqlite) / \(postgres)")
        }
    }

    @Test("placeholders are numbered outside quotes only")
    func numbering() {
        #expect(PostgresCatalog.numbered("a = ? AND b LIKE ? ESCAPE '\\' AND c = '?' AND \"d?\" > ?")
                == "a = $1 AND b LIKE $2 ESCAPE '\\' AND c = '?' AND \"d?\" > $3")
    }
}
