import Testing
@testable import LTFS

/// Check verdicts on variations of a reference volume, made the way LTFS itself would change a
/// cartridge (new generations, attribute updates) or the way damage looks.
@Suite struct CheckScenarioTests {
    static let uuid = "e9d3ab8c-24d2-4b1c-9a00-116a53370f26"

    func base() throws -> SimulatedCartridge { try SimulatedCartridge.fixture("fresh_ABC123_named") }

    func index(_ cartridge: SimulatedCartridge, partition: Int) throws -> LTFSIndex {
        try LTFSIndex.decode(#require(cartridge.record(partition, 5)))
    }

    func coherency(_ generation: UInt64, _ block: UInt64, vcr: UInt64 = 1, uuid: String = uuid) -> [UInt8] {
        VolumeCoherency(volumeChangeReference: vcr, generation: generation, indexStartBlock: block, volumeUUID: uuid)
            .attribute.encoded()
    }

    func check(_ cartridge: SimulatedCartridge) async -> LTFSCheckReport {
        await LTFSChecker().check(SimulatedLTFSDrive(cartridge))
    }

    /// Generation 2 as LTFS writes it after a file: data, filemark, index on b; index on a.
    func secondGeneration() throws -> SimulatedCartridge {
        var c = try base()
        var dp2 = try index(c, partition: 1)
        dp2.generation = 2
        dp2.location = LTFSIndexLocation(partition: "b", startBlock: 9)
        dp2.previousGenerationLocation = LTFSIndexLocation(partition: "b", startBlock: 5)
        c.partitions[1] += [.record([UInt8](repeating: 0x55, count: 1000)), .filemark, .record(dp2.encoded()), .filemark]
        var ip2 = dp2
        ip2.location = LTFSIndexLocation(partition: "a", startBlock: 5)
        ip2.previousGenerationLocation = dp2.location
        c.partitions[0][5] = .record(ip2.encoded())
        c.attributes[0]?[0x080C] = coherency(2, 5)
        c.attributes[1]?[0x080C] = coherency(2, 9)
        return c
    }

    @Test func secondGenerationIsConsistent() async throws {
        let report = await check(try secondGeneration())
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.currentIndex?.generation == 2)
        #expect(report.volume?.indexes.map(\.location) == ["a/5", "b/9"])
    }

    @Test func indexPartitionBehindTheDataPartitionIsRecoverable() async throws {
        var c = try secondGeneration()
        c.partitions[0][5] = try base().partitions[0][5]
        c.attributes[0]?[0x080C] = coherency(1, 5)
        let report = await check(c)
        #expect(report.verdict == .recoverable, "\(report.lines)")
        #expect(report.problems.first == "the data partition holds a newer index (generation 2) than the index partition (generation 1)")
        #expect(report.repairs.first == "write the data partition's generation 2 index to the index partition at a/5")
    }

    @Test func indexPartitionPointingElsewhereIsInconsistent() async throws {
        var c = try base()
        var ip = try index(c, partition: 0)
        ip.generation = 3
        ip.previousGenerationLocation = LTFSIndexLocation(partition: "b", startBlock: 40)
        c.partitions[0][5] = .record(ip.encoded())
        let report = await check(c)
        #expect(report.verdict == .inconsistent)
        #expect(report.problems.first?.contains("points at b/40") == true)
    }

    @Test func coherencyAttributeBehindIsRecoverable() async throws {
        var c = try secondGeneration()
        c.attributes[1]?[0x080C] = coherency(1, 5)
        let report = await check(c)
        #expect(report.verdict == .recoverable)
        #expect(report.problems == ["the volume coherency attribute of partition b records generation 1 at block 5, but the newest index there is generation 2 at block 9"])
        #expect(report.repairs == ["rewrite the volume coherency attributes (080Ch) of both partitions"])
    }

    @Test func missingCoherencyAttributeIsRecoverable() async throws {
        var c = try base()
        c.attributes[1]?[0x080C] = nil
        let report = await check(c)
        #expect(report.verdict == .recoverable)
        #expect(report.problems == ["the volume coherency attribute (080Ch) of partition b is missing"])
    }

    @Test func changedVolumeChangeReferenceIsRecoverable() async throws {
        var c = try base()
        c.attributes[0]?[0x0009] = MAMAttribute(id: 9, format: .binary, value: [0, 0, 0, 7]).encoded()
        let report = await check(c)
        #expect(report.verdict == .recoverable)
        #expect(report.problems.first?.contains("(1) differs from the cartridge's (7)") == true)
    }

    @Test(arguments: [nil, [UInt8]([0, 0, 0, 0]), [0xFF, 0xFF, 0xFF, 0xFF]])
    func unknownVolumeChangeReferenceSkipsCoherency(_ value: [UInt8]?) async throws {
        var c = try base()
        c.attributes[0]?[0x0009] = value.map { MAMAttribute(id: 9, format: .binary, value: $0).encoded() }
        c.attributes[1]?[0x080C] = nil
        let report = await check(c)
        #expect(report.verdict == .consistent, "\(report.lines)")
    }

    @Test func indexOfAnotherVolumeOnTheDataPartitionIsInconsistent() async throws {
        var c = try base()
        var dp = try index(c, partition: 1)
        dp.volumeUUID = "00000000-24d2-4b1c-9a00-116a53370f26"
        c.partitions[1][5] = .record(dp.encoded())
        let report = await check(c)
        #expect(report.verdict == .inconsistent)
        #expect(report.problems.first?.contains("belongs to volume 00000000-") == true)
    }

    @Test func indexAtTheWrongSelfLocationOnTheIndexPartitionIsRecoverable() async throws {
        var c = try base()
        var ip = try index(c, partition: 0)
        ip.location = LTFSIndexLocation(partition: "a", startBlock: 6)
        c.partitions[0][5] = .record(ip.encoded())
        let report = await check(c)
        #expect(report.verdict == .recoverable)
        #expect(report.problems.first == "the index partition's index is invalid: index read at a/5 says it is at a/6")
    }

    @Test func unreadableIndexXMLOnTheDataPartitionIsInconsistent() async throws {
        var c = try base()
        c.partitions[1][5] = .record(Array("<ltfsindex version=\"2.4.0\"><creator>".utf8))
        let report = await check(c)
        #expect(report.verdict == .inconsistent)
        #expect(report.problems.first?.hasPrefix("the data partition's newest index is invalid: index at b/5: XML is not well-formed") == true)
    }

    @Test func partitionedBlankCartridge() async throws {
        let c = SimulatedCartridge(partitions: [[], []], hasEndOfData: [true, true], generation: 6)
        let report = await check(c)
        #expect(report.verdict == .blank)
        #expect(report.problems == ["the cartridge is partitioned but blank"])
    }

    @Test func unpartitionedCartridgeWithDataIsNotLTFS() async throws {
        let c = SimulatedCartridge(partitions: [[.record(Array(repeating: 1, count: 512)), .filemark]],
                                   hasEndOfData: [true], generation: 6)
        let report = await check(c)
        #expect(report.verdict == .notLTFS)
        #expect(report.verdict.exitCode == 2)
    }

    @Test func neitherPartitionLTFSIsNotLTFS() async throws {
        var c = try base()
        for p in 0..<2 { c.partitions[p][0] = .record(Array(repeating: 0x44, count: 80)) }
        let report = await check(c)
        #expect(report.verdict == .notLTFS)
        #expect(report.problems.count == 2)
    }

    @Test func labelWithoutItsFilemarkIsInconsistent() async throws {
        var c = try base()
        c.partitions[1][3] = .record([1, 2, 3])
        let report = await check(c)
        #expect(report.verdict == .inconsistent)
        #expect(report.problems == ["partition 1: block 3 is not the filemark after the label (a record of 3 bytes)"])
    }

    @Test func indexSpanningSeveralRecordsIsRead() async throws {
        let policy = LTFSDataPlacementPolicy(sizeLimit: 1, namePatterns: (0..<400).map { "*.pattern-\($0)" })
        let drive = SimulatedLTFSDrive(.blank(generation: 5))
        _ = try await LTFSFormatter(options: LTFSFormatOptions(blockSize: 4096, dataPlacementPolicy: policy)).format(drive)
        #expect(await drive.cartridge.structure[1].count > 9, "the index takes several records")
        let report = await LTFSChecker().check(drive)
        #expect(report.verdict == .consistent, "\(report.lines)")
    }
}

extension CheckScenarioTests {
    /// A crash after the filemark that ends new data but before the index: the newest index is
    /// the one before the data, and the data after it is unflushed.
    @Test func dataClosedByAFilemarkWithoutIndexIsUnflushedData() async throws {
        var c = try base()
        c.partitions[1] += [.record([UInt8](repeating: 0x44, count: 4096)), .record([UInt8](repeating: 0x45, count: 100)), .filemark]
        let report = await check(c)
        #expect(report.verdict == .recoverable, "\(report.lines)")
        #expect(report.problems.first?.hasPrefix("unflushed data: 3 block(s) on the data partition after its last index (generation 1 at b/5)") == true)
        #expect(report.repairs.first == "write a new generation 2 index at b/10 and on the index partition at a/5")
    }
}

extension CheckScenarioTests {
    @Test func dataAfterAClosedDataSectionStillNeedsAFilemark() async throws {
        var c = try base()
        c.partitions[1] += [.record([UInt8](repeating: 0x44, count: 512)), .filemark, .record([UInt8](repeating: 0x45, count: 100))]
        let report = await check(c)
        #expect(report.verdict == .recoverable, "\(report.lines)")
        #expect(report.repairs.first == "write a filemark at b/10, a new generation 2 index at b/11 and on the index partition at a/5")
    }
}
