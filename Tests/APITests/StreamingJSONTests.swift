import Catalog
import Foundation
import Testing
@testable import API

/// The API's streaming JSON writer against Foundation's JSONEncoder with the API's settings
/// (snake_case keys, ISO 8601 dates, unescaped slashes): the same JSON values, for every catalog
/// list the API answers and for the corners of JSON (escapes, numbers, dates, nesting, nil).
@Suite struct StreamingJSONTests {
    /// Both encoders' output parsed back; equal as JSON values (member order aside).
    func expectSameJSON<T: Encodable>(_ value: T, _ what: String = "\(T.self)",
                                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let streamed = try StreamingJSONEncoder().encode(Envelope(data: value, message: "m"))
        let reference = try APIJSON.encoder().encode(Envelope(data: value, message: "m"))
        let a = try JSONSerialization.jsonObject(with: Data(streamed), options: [.fragmentsAllowed])
        let b = try JSONSerialization.jsonObject(with: reference, options: [.fragmentsAllowed])
        // Both values written again by one serializer with sorted keys: equal bytes, equal values.
        let canonicalA = try JSONSerialization.data(withJSONObject: a, options: [.sortedKeys, .fragmentsAllowed])
        let canonicalB = try JSONSerialization.data(withJSONObject: b, options: [.sortedKeys, .fragmentsAllowed])
        #expect(canonicalA == canonicalB,
                "\(what):\nstreamed  \(String(decoding: streamed, as: UTF8.self).prefix(600))\nreference \(String(decoding: reference, as: UTF8.self).prefix(600))",
                sourceLocation: sourceLocation)
    }

    @Test func everyCatalogListOfASyncedLibrary() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        let catalog = harness.catalog
        let query = ListQuery(limit: 1_000)
        try expectSameJSON(try await catalog.listSlots(query).items)
        try expectSameJSON(try await catalog.listCartridges(query).items)
        try expectSameJSON(try await catalog.listLibraries(query).items)
        try expectSameJSON(try await catalog.listDrives(query).items)
        try expectSameJSON(try await catalog.listChangers(query).items)
        try expectSameJSON(try await catalog.listMediaServers(query).items)
        try expectSameJSON(try await catalog.listPools(query).items)
        try expectSameJSON(try await catalog.listLibraryTasks(query).items)
        try expectSameJSON(try await catalog.listTapeTypes(query).items)
        try expectSameJSON(try await catalog.listScheduledJobs(query).items)
        #expect(try await catalog.listSlots(query).items.count > 10)
    }

    struct Corners: Encodable {
        enum Kind: String, Encodable { case storage, mailSlot = "mail_slot" }
        struct Inner: Encodable { var camelCaseName = "x"; var list: [Int?] = [1, nil, 3] }
        struct Empty: Encodable {}
        var text = "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00} é 漢 🎞️"
        var integers: [Int64] = [0, -1, Int64.max, Int64.min]
        var unsigned: UInt64 = .max
        var doubles: [Double] = [0, -0.0, 1.5, 2, 0.1, 1e300, -2.5e-300, 123456789.125]
        var float: Float = 0.25
        var flags = [true, false]
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_800_000_000.999),
                     Date(timeIntervalSince1970: -86_399.5), Date(timeIntervalSince1970: 253_402_300_799)]
        var optionalPresent: String? = "here"
        var optionalAbsent: String?
        var kind = Kind.mailSlot
        var inner = Inner()
        var nested: [[Inner]] = [[Inner(), Inner(camelCaseName: "y", list: [])], []]
        var dictionary: [String: Int] = ["camelKey": 1, "snake_key": 2, "": 3]
        var empty = Empty()
        var data = Data([0, 1, 2, 250])
        var url = URL(string: "https://example.com/a b?q=1")
        var isURLAnAcronymTest = 1
        var aHTTPServerID = 2
    }

    @Test func theCornersOfJSON() throws {
        try expectSameJSON(Corners())
        try expectSameJSON([Corners(), Corners()])
        try expectSameJSON(Optional<Corners>.none)
        try expectSameJSON("just a string")
        try expectSameJSON([String: [String]]())
    }

    @Test func aNumberJSONCannotHoldIsAnError() {
        #expect(throws: StreamingJSONError.self) { _ = try StreamingJSONEncoder().encode([Double.nan]) }
        #expect(throws: StreamingJSONError.self) { _ = try StreamingJSONEncoder().encode([Double.infinity]) }
    }
}
