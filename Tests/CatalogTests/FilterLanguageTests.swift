import Foundation
import Testing
@testable import Catalog

@Suite struct FilterParserTests {
    @Test func parsesTheSeedExamples() throws {
        #expect(try FilterParser.parse(#"pool_name="test""#) == [.init(field: "pool_name", comparison: .equals, value: "test")])
        #expect(try FilterParser.parse(#"pool_name~"te""#) == [.init(field: "pool_name", comparison: .contains, value: "te")])
        #expect(try FilterParser.parse(#"last_online<"2024-08-19T19:20:28.614838+03:00""#)
                == [.init(field: "last_online", comparison: .lessThan, value: "2024-08-19T19:20:28.614838+03:00")])
        #expect(try FilterParser.parse(#"last_online>"2024-08-19T19:20:28.614838+03:00""#).first?.comparison == .greaterThan)
    }

    @Test func combinesWithCommaOrAnd() throws {
        let expected: [FilterCondition] = [
            .init(field: "status", comparison: .equals, value: "full"),
            .init(field: "volume_tag", comparison: .contains, value: "L9"),
        ]
        #expect(try FilterParser.parse(#"status="full",volume_tag~"L9""#) == expected)
        #expect(try FilterParser.parse(#" status = "full" , volume_tag ~ "L9" "#) == expected)
        #expect(try FilterParser.parse(#"status="full" AND volume_tag~"L9""#) == expected)
        #expect(try FilterParser.parse("") == [])
        #expect(try FilterParser.parse("   ") == [])
    }

    @Test func unescapesQuotesAndBackslashes() throws {
        #expect(try FilterParser.parse(#"description="say \"hi\" \\ bye""#).first?.value == #"say "hi" \ bye"#)
    }

    @Test(arguments: [
        #"pool_name"#, #"pool_name="#, #"pool_name="test"#, #"="test""#, #"pool_name=="test""#,
        #"pool_name="a" pool_name="b""#, #"pool_name="a","#, #"pool_name='a'"#, #"pool_name=test"#,
        #"pool_name="a" OR pool_name="b""#, #"pool_name!="a""#, #"pool_name="\n""#, #"(pool_name="a")"#,
        #"pool_name="a";DROP TABLE pools"#, "pool_name=\"a\"\u{0}",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: FilterError.self) { try FilterParser.parse(text) }
    }

    @Test func rejectsOversizedInput() {
        let long = Array(repeating: #"id="1""#, count: 40).joined(separator: ",")
        #expect(throws: FilterError.self) { try FilterParser.parse(long) }
        #expect(throws: FilterError.self) { try FilterParser.parse(String(repeating: "a", count: 5000)) }
    }

    @Test func randomInputNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"ab_=~<>", \AND"#)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...30, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            _ = try? FilterParser.parse(text)
        }
    }
}

@Suite struct ListQueryTests {
    func cartridges(_ fixture: CatalogFixture, count: Int) async throws {
        for index in 0..<count {
            _ = try await fixture.catalog.registerCartridge(volumeTag: String(format: "T%05dL%d", index, index % 2 == 0 ? 8 : 9),
                                                          description: index == 3 ? "50% used_up" : "")
        }
    }

    @Test func filtersBySubqueryFieldAndContains() async throws {
        let fixture = try await CatalogFixture()
        try await cartridges(fixture, count: 10)
        let lto9 = try await fixture.catalog.listCartridges(ListQuery(filter: #"type="LTO-9""#))
        #expect(lto9.total == 5)
        #expect(lto9.items.allSatisfy { $0.volumeTag.hasSuffix("L9") })
        let contains = try await fixture.catalog.listCartridges(ListQuery(filter: #"volume_tag~"0000""#))
        #expect(contains.total == 10)
        let both = try await fixture.catalog.listCartridges(ListQuery(filter: #"volume_tag~"L8", status="scratch""#))
        #expect(both.total == 5)
    }

    @Test func likeWildcardsInValuesAreLiteral() async throws {
        let fixture = try await CatalogFixture()
        try await cartridges(fixture, count: 10)
        #expect(try await fixture.catalog.listCartridges(ListQuery(filter: #"description~"50%""#)).total == 1)
        #expect(try await fixture.catalog.listCartridges(ListQuery(filter: #"description~"%""#)).total == 1)
        #expect(try await fixture.catalog.listCartridges(ListQuery(filter: #"description~"d_u""#)).total == 1)
        #expect(try await fixture.catalog.listCartridges(ListQuery(filter: #"description~"_""#)).total == 1)
    }

    @Test func pagesAndSorts() async throws {
        let fixture = try await CatalogFixture()
        try await cartridges(fixture, count: 25)
        let first = try await fixture.catalog.listCartridges(ListQuery(page: 1, limit: 10, sort: "volume_tag"))
        let third = try await fixture.catalog.listCartridges(ListQuery(page: 3, limit: 10, sort: "volume_tag"))
        #expect(first.total == 25 && first.items.count == 10 && third.items.count == 5)
        #expect(first.items.first?.volumeTag == "T00000L8")
        #expect(third.items.last?.volumeTag == "T00024L8")
        let descending = try await fixture.catalog.listCartridges(
            ListQuery(page: 1, limit: 3, sort: "volume_tag", direction: .descending))
        #expect(descending.items.map(\.volumeTag) == ["T00024L8", "T00023L9", "T00022L8"])
        let beyond = try await fixture.catalog.listCartridges(ListQuery(page: 9, limit: 10))
        #expect(beyond.items.isEmpty && beyond.total == 25)
    }

    @Test func timestampComparisons() async throws {
        let fixture = try await CatalogFixture()
        _ = try await fixture.catalog.insert(MediaServer(hostname: "old", hwid: "1",
                                                         lastOnline: Date(timeIntervalSince1970: 1_724_000_000)))
        _ = try await fixture.catalog.insert(MediaServer(hostname: "new", hwid: "2",
                                                         lastOnline: Date(timeIntervalSince1970: 1_725_000_000)))
        // 2024-08-19T19:20:28.614838+03:00 = 1724084428.6 s.
        let before = try await fixture.catalog.listMediaServers(
            ListQuery(filter: #"last_online<"2024-08-19T19:20:28.614838+03:00""#))
        #expect(before.items.map(\.hostname) == ["old"])
        let after = try await fixture.catalog.listMediaServers(
            ListQuery(filter: #"last_online>"2024-08-19T19:20:28.614838+03:00""#))
        #expect(after.items.map(\.hostname) == ["new"])
    }

    @Test func isoTimestampParser() {
        #expect(ISO8601Timestamp.parse("2024-08-19T19:20:28.614838+03:00")?.timeIntervalSince1970
                    .distance(to: 1_724_084_428.614838).magnitude ?? 1 < 0.000_01)
        #expect(ISO8601Timestamp.parse("1970-01-01")?.timeIntervalSince1970 == 0)
        #expect(ISO8601Timestamp.parse("2000-02-29T00:00Z") != nil)
        #expect(ISO8601Timestamp.parse("2001-02-29") == nil)
        #expect(ISO8601Timestamp.parse("2024-13-01") == nil)
        #expect(ISO8601Timestamp.parse("2024-08-19T25:00") == nil)
        #expect(ISO8601Timestamp.parse("yesterday") == nil)
        #expect(ISO8601Timestamp.parse("2024-08-19T19:20:28+03") == nil)
    }

    static let injections = [
        #"volume_tag="x' OR '1'='1""#,
        #"volume_tag="\"; DROP TABLE tape_cartridges; --""#,
        #"volume_tag~"%' UNION SELECT * FROM users --""#,
        #"status="scratch') OR 1=1 --""#,
    ]

    @Test(arguments: injections)
    func injectionStringsAreJustValues(_ filter: String) async throws {
        let fixture = try await CatalogFixture()
        try await cartridges(fixture, count: 5)
        do {
            let page = try await fixture.catalog.listCartridges(ListQuery(filter: filter))
            #expect(page.total == 0)
        } catch {
            // Enumerated fields reject unknown values instead of matching nothing.
            guard case CatalogError.filter(.invalidValue) = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(try await fixture.catalog.listCartridges(ListQuery()).total == 5)
    }

    @Test(arguments: [
        (#"password_hash="x""#, "unknown field"),
        (#"id="1 OR 1=1""#, "integer"),
        (#"tape_cartridges.id="1""#, "syntax"),
        (#"status="burnt""#, "enumeration"),
        (#"write_protected~"1""#, "operator"),
        (#"created_at<"last week""#, "timestamp"),
    ])
    func rejectsFieldsAndValuesOutsideTheWhitelist(_ filter: String, _ reason: String) async throws {
        let fixture = try await CatalogFixture()
        do {
            _ = try await fixture.catalog.listCartridges(ListQuery(filter: filter))
            Issue.record("accepted \(filter) (\(reason))")
        } catch {
            guard case CatalogError.filter = error else { Issue.record("not a filter error: \(error)"); return }
        }
    }

    @Test func rejectsBadSortAndPaging() async throws {
        let fixture = try await CatalogFixture()
        for query in [ListQuery(sort: "volume_tag; DROP TABLE x"), ListQuery(sort: "password_hash"),
                      ListQuery(page: 0), ListQuery(limit: 0), ListQuery(limit: 100_000)] {
            await #expect(throws: CatalogError.self) { _ = try await fixture.catalog.listCartridges(query) }
        }
        #expect(throws: FilterError.invalidDirection("sideways")) {
            _ = try ListQuery.parse(filterData: nil, page: "1", limit: "10", sort: nil, direction: "sideways")
        }
        #expect(throws: FilterError.self) {
            _ = try ListQuery.parse(filterData: nil, page: "1e3", limit: nil, sort: nil, direction: nil)
        }
        let parsed = try ListQuery.parse(filterData: #"kind="drive""#, page: "2", limit: "5", sort: "element_address",
                                         direction: "DESC")
        #expect(parsed == ListQuery(filter: #"kind="drive""#, page: 2, limit: 5, sort: "element_address",
                                    direction: .descending))
    }

    @Test("on PostgreSQL an equality with a closed set's member (an enumeration's, a flag's) is written into the text; every other value stays a placeholder, and SQLite binds them all")
    func closedSetValuesAreWrittenOnPostgreSQL() throws {
        let query = ListQuery(filter: #"library_id="3", kind="storage", full="true", volume_tag="A'1", element_address>"10""#)
        let postgres = try CompiledListQuery(query, schema: ResourceSchemas.librarySlots, dialect: .postgres)
        #expect(postgres.whereClause.contains("library_slots.kind = 'storage'"), "\(postgres.whereClause)")
        #expect(postgres.whereClause.contains("library_slots.full = 1"), "\(postgres.whereClause)")
        #expect(postgres.whereClause.contains("library_slots.library_id = ?"))
        #expect(postgres.values == [Int64(3).databaseValue, "A'1".databaseValue, Int64(10).databaseValue])
        #expect(!postgres.whereClause.contains("A'1"))
        let sqlite = try CompiledListQuery(query, schema: ResourceSchemas.librarySlots)
        #expect(sqlite.values.count == 5 && !sqlite.whereClause.contains("'storage'"))

        // The count cache and the block seek compare the same: the arguments stay in step.
        let counted = try CompiledListQuery(ListQuery(filter: #"kind="import_export", library_id="3", full="no""#, page: 3),
                                            schema: ResourceSchemas.librarySlots, dialect: .postgres)
        #expect(counted.values == [Int64(3).databaseValue])
        let cacheSQL = try #require(counted.cachedCountSQL)
        #expect(cacheSQL.hasSuffix(#"WHERE kind = 'import_export' AND library_id = ? AND "full" = 0"#), "\(cacheSQL)")
        #expect(try #require(counted.seek).blocksSQL.contains(#"kind = 'import_export' AND library_id = ? AND "full" = 0"#))
        // A status filter of the task list: the rare value is in the text.
        let queued = try CompiledListQuery(ListQuery(filter: #"status="new""#), schema: ResourceSchemas.libraryTasks, dialect: .postgres)
        #expect(queued.values.isEmpty && queued.whereClause.contains("= 'new'"), "\(queued.whereClause)")
    }

    @Test func otherResourcesHaveTheirOwnWhitelist() async throws {
        let fixture = try await CatalogFixture()
        _ = try await fixture.catalog.insert(Pool(name: "tape_pool", type: .tapeLibrary))
        _ = try await fixture.catalog.insert(Pool(name: "disk", type: .fileSystem))
        #expect(try await fixture.catalog.listPools(ListQuery(filter: #"pool_name~"tape""#)).items.map(\.name) == ["tape_pool"])
        #expect(try await fixture.catalog.listPools(ListQuery(filter: #"pool_type="File system""#)).total == 1)
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.listPools(ListQuery(filter: #"volume_tag="x""#))
        }
        #expect(try await fixture.catalog.listTapeTypes(ListQuery(filter: #"is_worm="true""#, limit: 100)).total == 7)
    }
}
