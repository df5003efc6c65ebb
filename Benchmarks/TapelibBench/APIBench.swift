import Catalog
import Foundation
import HWSim

/// Helpers of scripts/bench-api.sh (the REST API under wrk): the 50,000-slot profile it serves,
/// and the catalog's own rate for the same list queries, in process, for the ratio.
enum APIBench {
    /// Writes the generated 50,000-slot library (the catalog benchmarks' size) as a profile file
    /// for `tapelib serve --sim FILE`.
    static func writeProfile(to path: String) throws {
        var profile = LibraryProfile.large(slots: 50_000, mailSlots: 40, drives: 24, dataCartridges: 40_000, cleaningCartridges: 20)
        profile.name = "bench-50k"
        profile.powerOnUnitAttention = false
        try JSONEncoder().encode(profile).write(to: URL(fileURLWithPath: path))
    }

    /// The queries of a file of request paths (`/api/v1/library_slots?…`), each run through the
    /// catalog as the API would, in rotation for `seconds`; prints queries per second.
    static func catalogRate(stateDirectory: String, pathsFile: String, seconds: Double) async throws {
        let catalog = try await CatalogDatabase.open(stateDirectory: stateDirectory, migrate: false)
        let lines = try String(contentsOfFile: pathsFile, encoding: .utf8).split(separator: "\n").map(String.init)
        var queries: [ListQuery] = []
        for line in lines {
            guard let components = URLComponents(string: "http://x" + line) else { continue }
            func value(_ name: String) -> String? { components.queryItems?.first { $0.name == name }?.value }
            queries.append(try ListQuery.parse(filterData: value("filter_data"), page: value("page"), limit: value("limit"),
                                               sort: value("sort"), direction: value("direction")))
        }
        guard !queries.isEmpty else { throw CatalogError.invalidArgument("no queries in \(pathsFile)") }
        let start = ContinuousClock.now
        let budget = Duration.milliseconds(Int64(seconds * 1_000))
        var count = 0
        while ContinuousClock.now - start < budget {
            _ = try await catalog.listSlots(queries[count % queries.count])
            count += 1
        }
        let elapsed = ContinuousClock.now - start
        let rate = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print("catalog in process: \(Int(rate)) queries/s over \(queries.count) distinct queries")
    }
}
