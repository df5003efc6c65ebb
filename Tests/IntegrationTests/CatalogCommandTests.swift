import Catalog
import Foundation
import PostgresTestSupport
import Testing

/// `tapelib catalog init|migrate` as an operator runs them, on SQLite and on a real PostgreSQL.
@Suite("tapelib catalog init|migrate")
struct CatalogCommandTests {
    func appliedNow(_ output: String) -> [String] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("applied now: ") }) else { return ["?"] }
        let list = line.dropFirst("applied now: ".count)
        return list.hasPrefix("nothing") ? [] : list.components(separatedBy: ", ")
    }

    @Test("SQLite: migrate refuses a missing catalog, init creates it, both are harmless when repeated")
    func sqlite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = try await CLI.run(["catalog", "migrate", "--state-dir", directory])
        #expect(missing.status != 0 && missing.stderr.contains("not found"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/catalog.sqlite"))
        let created = try await CLI.run(["catalog", "init", "--state-dir", directory])
        #expect(created.status == 0 && appliedNow(created.stdout) == CatalogDatabase.knownMigrations, "\(created.stdout)")
        let again = try await CLI.run(["catalog", "migrate", "--catalog", "sqlite:" + directory])
        #expect(again.status == 0 && appliedNow(again.stdout).isEmpty, "\(again.stdout)\(again.stderr)")
    }

    @Test("PostgreSQL: two media servers initialising one catalog at once apply each migration once")
    func postgres() async throws {
        let database = try await PostgresTestServer.makeDatabase()
        let url = "postgres://tapelib@127.0.0.1:\(database.port)/\(database.database)?sslmode=require&pool=2"
        let missing = try await CLI.run(["catalog", "migrate", "--catalog", url])
        #expect(missing.status != 0 && missing.stderr.contains("not found"), "\(missing.stderr)")
        async let first = CLI.run(["catalog", "init", "--catalog", url])
        async let second = CLI.run(["catalog", "init", "--catalog", url, "--catalog-pool", "3"])
        let results = try await [first, second]
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        #expect(results.map { appliedNow($0.stdout) }.sorted { $0.count < $1.count } == [[], CatalogDatabase.knownMigrations])
        #expect(try await PostgresTestServer.psql(database.database, "SELECT count(*) FROM tapelib_migrations")
                == String(CatalogDatabase.knownMigrations.count))
        let again = try await CLI.run(["catalog", "migrate", "--catalog", url])
        #expect(again.status == 0 && appliedNow(again.stdout).isEmpty, "\(again.stdout)\(again.stderr)")
        // A password in the URL is refused, and not echoed.
        let leaky = try await CLI.run(["catalog", "init", "--catalog",
                                       "postgres://tapelib:hunter2@127.0.0.1:\(database.port)/\(database.database)"])
        #expect(leaky.status != 0 && leaky.stderr.contains("PGPASSWORD") && !leaky.stderr.contains("hunter2"))
        // Nothing listening: refused at once with the cause.
        let closed = try await CLI.run(["catalog", "init", "--catalog", "postgres://tapelib@127.0.0.1:1/x?sslmode=disable"])
        #expect(closed.status != 0 && closed.stderr.contains("cannot connect to the catalog"), "\(closed.stderr)")
    }
}
