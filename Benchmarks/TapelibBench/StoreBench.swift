import Catalog
import Foundation
import PostgresTestSupport

/// A filtered 100-row slot page on SQLite and PostgreSQL side by side (issue 13: PostgreSQL
/// within 3× of SQLite). The same 50,000-element library in both: SQLite's filled by reconcile
/// (with its count cache), PostgreSQL's by one INSERT … SELECT of the same rows (reconcile is not
/// on PostgreSQL yet), then ANALYZE as autovacuum would. Median of 300 pages each.
func runStoreBenchmarks() async {
    do {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-store-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try await CatalogDatabase.open(stateDirectory: directory)
        let (_, sqliteLibrary) = try await sqlite.benchMediaServer()
        _ = try await sqlite.reconcile(library: sqliteLibrary, snapshot: CatalogBenchmark.makeSnapshot())

        let configuration = try await PostgresTestServer.makeDatabase(tls: .disable)
        let postgres = try await PostgresCatalog.connect(configuration)
        let (_, postgresLibrary) = try await postgres.benchMediaServer()
        // CatalogBenchmark.makeSnapshot's layout: the robot, 16 drives, 40 mail slots, then
        // storage from 1000 on, four of five holding a cartridge labelled %06dL9.
        _ = try await PostgresTestServer.psql(configuration.database, """
            INSERT INTO library_slots (library_id, element_address, kind, "full", volume_tag)
            SELECT \(postgresLibrary), 0, 'transport', 0, NULL
            UNION ALL SELECT \(postgresLibrary), 100 + g, 'drive', 0, NULL FROM generate_series(0, \(CatalogBenchmark.driveCount - 1)) g
            UNION ALL SELECT \(postgresLibrary), 200 + g, 'import_export', 0, NULL FROM generate_series(0, \(CatalogBenchmark.mailSlotCount - 1)) g
            UNION ALL SELECT \(postgresLibrary), 1000 + g, 'storage', CASE WHEN g % 5 <> 4 THEN 1 ELSE 0 END,
                CASE WHEN g % 5 <> 4 THEN lpad(g::text, 6, '0') || 'L9' END
                FROM generate_series(0, \(CatalogBenchmark.elementCount - 1 - CatalogBenchmark.driveCount - CatalogBenchmark.mailSlotCount - 1)) g;
            ANALYZE library_slots;
            """)

        for (name, page) in [("first", 1), ("deep", 200)] {
            let sqliteMedian = try await StoreBenchmark.median { _ = try await sqlite.listSlots(StoreBenchmark.query(sqliteLibrary, page)) }
            let postgresMedian = try await StoreBenchmark.median {
                _ = try await postgres.listSlots(StoreBenchmark.query(postgresLibrary, page))
            }
            let sqlitePage = try await sqlite.listSlots(StoreBenchmark.query(sqliteLibrary, page))
            let postgresPage = try await postgres.listSlots(StoreBenchmark.query(postgresLibrary, page))
            let same = sqlitePage.total == postgresPage.total
                && sqlitePage.items.map(\.elementAddress) == postgresPage.items.map(\.elementAddress)
            let ratio = postgresMedian / sqliteMedian
            print(String(format: "catalog.slot_page.filtered_100.%@_page.sqlite_vs_postgres: %.3f ms / %.3f ms = %.1f× (target ≤ 3×) "
                         + "[median of 300, page %d, %d rows match]%@",
                         name, sqliteMedian * 1000, postgresMedian * 1000, ratio, page, sqlitePage.total,
                         same ? (ratio <= 3 ? "" : "  MISSED") : "  WRONG: the stores' pages differ"))
        }
        await postgres.close()
    } catch {
        print("store benchmarks failed: \(error)")
    }
}

enum StoreBenchmark {
    static func query(_ library: Int64, _ page: Int) -> ListQuery {
        ListQuery(filter: "library_id=\"\(library)\", kind=\"storage\", full=\"true\"", page: page, limit: 100,
                  sort: "element_address")
    }

    /// Median seconds of 300 runs of `body`.
    static func median(_ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<300 {
            let start = clock.now
            try await body()
            let elapsed = clock.now - start
            samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
