import Catalog
import Foundation
import PostgresTestSupport

/// Task claim throughput with two engines competing for one media server's queue (issue 13:
/// ≥ 500 claims/s on PostgreSQL), SQLite and PostgreSQL side by side in one run. Each engine has
/// its own connection to the catalog, as two processes would (SQLite: two pools on one file;
/// PostgreSQL: two clients of a real PostgreSQL 15 from scripts/pg-server.sh) and claims one task
/// at a time, as an engine with one robot does. Every task must be claimed exactly once.
func runTaskQueueBenchmarks() async {
    do {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-queue-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try await [CatalogDatabase.open(stateDirectory: directory), CatalogDatabase.open(stateDirectory: directory)]
        try await TaskQueueBenchmark.run(store: "sqlite", engines: sqlite, setUp: sqlite[0])
        let configuration = try await PostgresTestServer.makeDatabase(tls: .disable)
        let postgres = try await [PostgresCatalog.connect(configuration), PostgresCatalog.connect(configuration, migrate: false)]
        try await TaskQueueBenchmark.run(store: "postgres", engines: postgres, setUp: postgres[0])
        for engine in postgres { await engine.close() }
    } catch {
        print("task queue benchmarks failed: \(error)")
    }
}

enum TaskQueueBenchmark {
    static let taskCount = 3_000

    static func run(store: String, engines: [any LibraryTaskQueue], setUp: any CatalogSetUp) async throws {
        let (server, library) = try await setUp.benchMediaServer()
        for index in 0..<taskCount {
            _ = try await engines[0].enqueue(LibraryTask(type: .move, priority: index % 5, libraryId: library))
        }
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = CatalogBenchmark.processCPUTime()
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for engine in engines {
                group.addTask {
                    var ids: [Int64] = []
                    while let task = try await engine.claimNextLibraryTask(mediaServer: server, phase: "bench", now: Date()) {
                        if let id = task.id { ids.append(id) }
                    }
                    return ids
                }
            }
            var all: [[Int64]] = []
            for try await ids in group { all.append(ids) }
            return all
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let total = claimed.reduce(0) { $0 + $1.count }
        let distinct = Set(claimed.joined()).count
        let rate = Double(total) / seconds
        let verdict = total == taskCount && distinct == taskCount ? (rate >= 500 ? "" : "  MISSED") : "  WRONG: claimed \(total), distinct \(distinct)"
        print("catalog.task_claim.two_engines.\(store): \(Int(rate)) claims/s (target ≥ 500) "
              + "[\(taskCount) tasks, split \(claimed.map { String($0.count) }.joined(separator: "/")), "
              + "each once, \(CatalogBenchmark.cpu(since: cpuStart))]\(verdict)")
    }
}

/// The bench's set-up rows, written through each store's own inserts.
protocol CatalogSetUp: Sendable {
    func insert(_ server: MediaServer) async throws(CatalogError) -> MediaServer
    func insert(_ library: TapeLibrary) async throws(CatalogError) -> TapeLibrary
}

struct BenchSetUpError: Error {}

extension CatalogSetUp {
    func benchMediaServer() async throws -> (server: Int64, library: Int64) {
        guard let server = try await insert(MediaServer(hostname: "bench-media", hwid: "bench")).id,
              let library = try await insert(TapeLibrary(mediaServerId: server)).id else { throw BenchSetUpError() }
        return (server, library)
    }
}

extension CatalogDatabase: CatalogSetUp {}
extension PostgresCatalog: CatalogSetUp {}
