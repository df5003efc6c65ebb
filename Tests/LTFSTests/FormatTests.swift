import Testing
@testable import LTFS

/// Formats through the test double and compares with the reference formatter's output.
@Suite struct FormatTests {
    /// Removes what differs between any two formats: creator, UUID and times.
    static func normalised(_ record: [UInt8]) -> String {
        var text = String(decoding: record, as: UTF8.self)
        for element in ["creator", "volumeuuid", "formattime", "updatetime", "creationtime", "changetime",
                        "modifytime", "accesstime", "backuptime"] {
            while let open = text.range(of: "<\(element)>"), let close = text.range(of: "</\(element)>", range: open.upperBound..<text.endIndex) {
                text.replaceSubrange(open.lowerBound..<close.upperBound, with: "<\(element)/>")
            }
        }
        return text
    }

    func format(_ options: LTFSFormatOptions, cartridge: SimulatedCartridge = .blank(generation: 5))
        async throws -> (LTFSFormatResult, SimulatedCartridge) {
        let drive = SimulatedLTFSDrive(cartridge)
        let result = try await LTFSFormatter(options: options).format(drive)
        return (result, await drive.cartridge)
    }

    @Test func matchesTheReferenceFormatOfABC123Named() async throws {
        let reference = try SimulatedCartridge.fixture("fresh_ABC123_named")
        let (result, formatted) = try await format(LTFSFormatOptions(volumeName: "TestVol", barcode: "ABC123"))
        #expect(formatted.structure == reference.structure)
        for partition in 0..<2 {
            #expect(formatted.record(partition, 0) == reference.record(partition, 0), "VOL1 byte-identical")
            for block in [2, 5] {
                let mine = try #require(formatted.record(partition, block))
                let theirs = try #require(reference.record(partition, block))
                #expect(Self.normalised(mine) == Self.normalised(theirs), "partition \(partition) block \(block)")
            }
        }
        #expect(formatted.attributes.mapValues { Set($0.keys) } == reference.attributes.mapValues { Set($0.keys) })
        // Attribute values other than the application's identity are the reference's.
        for id: UInt16 in [0x0803, 0x0805, 0x0806, 0x0808, 0x080B, 0x1623, 0x0009] {
            #expect(formatted.attributes[0]?[id] == reference.attributes[0]?[id], "attribute \(id)")
        }
        let coherency = try #require(formatted.attributes[1]?[0x080C])
        let decoded = try VolumeCoherency.decode(value: MAMAttribute.decode(coherency).value)
        #expect(decoded == VolumeCoherency(volumeChangeReference: 1, generation: 1, indexStartBlock: 5,
                                           volumeUUID: result.volumeUUID))
        #expect(result.wroteCoherencyAttributes)

        let report = await LTFSChecker().check(SimulatedLTFSDrive(formatted))
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.volumeUUID == result.volumeUUID)
        #expect(report.volume?.volumeName == "TestVol")
    }

    @Test(arguments: [
        ("fresh_nobarcode", LTFSFormatOptions()),
        ("fresh_nocompress_256k", LTFSFormatOptions(barcode: "XYZ789", blockSize: 262_144, compression: false)),
        ("fresh_rules", LTFSFormatOptions(barcode: "RUL001",
                                          dataPlacementPolicy: LTFSDataPlacementPolicy(sizeLimit: 1_048_576, namePatterns: ["*.jpg", "*.png"]))),
    ])
    func matchesTheOtherReferenceFormats(_ image: String, _ options: LTFSFormatOptions) async throws {
        let reference = try SimulatedCartridge.fixture(image)
        let (_, formatted) = try await format(options)
        #expect(formatted.structure == reference.structure)
        for partition in 0..<2 {
            #expect(formatted.record(partition, 0) == reference.record(partition, 0))
            for block in [2, 5] {
                #expect(Self.normalised(try #require(formatted.record(partition, block)))
                        == Self.normalised(try #require(reference.record(partition, block))))
            }
        }
    }

    struct RoundTrip: Sendable, CustomStringConvertible {
        var options: LTFSFormatOptions
        var generation: Int
        var description: String { "\(options.volumeName ?? "-") \(options.blockSize) \(options.compression) LTO-\(generation)" }
    }

    @Test(arguments: [
        RoundTrip(options: LTFSFormatOptions(volumeName: "Résumé – архив 日本語 🎞", barcode: "RB1001L9"), generation: 9),
        RoundTrip(options: LTFSFormatOptions(volumeName: "a<b>&\"c\"", barcode: "QQ0001L6", blockSize: 262_144), generation: 6),
        RoundTrip(options: LTFSFormatOptions(volumeName: "plain", blockSize: 4096, compression: false), generation: 5),
        RoundTrip(options: LTFSFormatOptions(barcode: "ZZ9999L8", blockSize: 1_048_576, compression: false,
                                             mediaPool: "Пул"), generation: 8),
    ])
    func roundTrip(_ trip: RoundTrip) async throws {
        let (result, formatted) = try await format(trip.options, cartridge: .blank(generation: trip.generation))
        let drive = SimulatedLTFSDrive(formatted)
        let report = await LTFSChecker().check(drive)
        #expect(report.verdict == .consistent, "\(report.lines)")
        let volume = try #require(report.volume)
        #expect(volume.volumeUUID == result.volumeUUID)
        #expect(volume.volumeName == trip.options.volumeName)
        #expect(volume.blockSize == trip.options.blockSize)
        #expect(volume.compression == trip.options.compression)
        #expect(volume.volumeSerial == String((trip.options.barcode ?? "").prefix(6)))
        #expect(volume.barcode == trip.options.barcode)
        #expect(volume.formatTime == result.formatTime.formatted)
        #expect(await drive.compressionEnabled == true, "a check leaves the compression page alone")
        let name = try MAMAttribute.decode(#require(formatted.attributes[0]?[0x0803]))
        #expect(name.stringValue == (trip.options.volumeName ?? ""))
        let pool = try MAMAttribute.decode(#require(formatted.attributes[0]?[0x0808]))
        #expect(pool.stringValue == (trip.options.mediaPool ?? ""))
    }

    @Test func compressionPageFollowsTheOption() async throws {
        let drive = SimulatedLTFSDrive(.blank(generation: 5))
        _ = try await LTFSFormatter(options: LTFSFormatOptions(compression: false)).format(drive)
        #expect(await drive.compressionEnabled == false)
    }

    @Test func barcodeComesFromTheCartridgeWhenNotGiven() async throws {
        let (result, formatted) = try await format(LTFSFormatOptions(), cartridge: .blank(generation: 7, barcode: "ABC123L7"))
        #expect(result.barcode == "ABC123L7")
        #expect(formatted.record(0, 0) == (try SimulatedCartridge.fixture("fresh_ABC123_named").record(0, 0)))
    }

    @Test func largeIndexIsSplitIntoBlockSizeRecords() throws {
        let time = LTFSTimestamp(seconds: 0, nanoseconds: 0)
        let layout = try LTFSVolumeLayout(
            options: LTFSFormatOptions(volumeName: String(repeating: "n", count: 255), blockSize: 4096,
                                       dataPlacementPolicy: LTFSDataPlacementPolicy(sizeLimit: 1, namePatterns: Array(repeating: "*.long-pattern-name", count: 300))),
            barcode: nil, volumeUUID: "e9d3ab8c-24d2-4b1c-9a00-116a53370f26", formatTime: time, updateTime: time)
        let writes = try #require(layout.partitionWrites.first?.writes)
        let indexRecords = writes.dropFirst(4).dropLast().compactMap { if case .record(let b) = $0 { b } else { nil } }
        #expect(indexRecords.count > 1)
        #expect(indexRecords.dropLast().allSatisfy { $0.count == 4096 })
        #expect((indexRecords.last?.count ?? 0) <= 4096)
        #expect(try LTFSIndex.decode(indexRecords.flatMap { $0 }) == layout.dataPartitionIndex)
    }

    // Refusals: nothing is written.
    @Test(arguments: [
        (SimulatedCartridge.blank(generation: 4), "LTO-4"),
        (SimulatedCartridge.blank(generation: 3), "LTO-3"),
    ])
    func refusesGenerationsWithoutPartitions(_ cartridge: SimulatedCartridge, _ name: String) async throws {
        let drive = SimulatedLTFSDrive(cartridge)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(drive) } throws: { error in
            guard case LTFSFormatError.unsupportedGeneration = error else { return false }
            return "\(error)".contains("LTO-5 or later")
        }
        #expect(await drive.mutations.isEmpty)
    }

    @Test func refusesWORM() async throws {
        var cartridge = SimulatedCartridge.blank(generation: 6)
        cartridge.isWORM = true
        let drive = SimulatedLTFSDrive(cartridge)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(drive) } throws: { error in
            guard case LTFSFormatError.wormMedium = error else { return false }
            return true
        }
        #expect(await drive.mutations.isEmpty)
    }

    @Test func refusesWriteProtected() async throws {
        var cartridge = SimulatedCartridge.blank(generation: 6)
        cartridge.isWriteProtected = true
        let drive = SimulatedLTFSDrive(cartridge)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(drive) } throws: { error in
            guard case LTFSFormatError.writeProtected = error else { return false }
            return "\(error)" == "the cartridge is write-protected"
        }
        #expect(await drive.mutations.isEmpty)
    }

    @Test func cartridgeWithDataNeedsForce() async throws {
        let existing = try SimulatedCartridge.fixture("fresh_ABC123_named")
        let drive = SimulatedLTFSDrive(existing)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions(volumeName: "New")).format(drive) } throws: { error in
            guard case LTFSFormatError.cartridgeHoldsData(let what) = error else { return false }
            return what.contains("LTFS volume with volume serial ABC123")
        }
        #expect(await drive.mutations.isEmpty)

        let result = try await LTFSFormatter(options: LTFSFormatOptions(volumeName: "New", force: true)).format(drive)
        #expect(result.volumeUUID != "e9d3ab8c-24d2-4b1c-9a00-116a53370f26")
        let report = await LTFSChecker().check(drive)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.volumeName == "New")
        #expect(report.volume?.volumeChangeReference == 2)
    }

    @Test func unpartitionedCartridgeWithDataNeedsForceToo() async throws {
        var cartridge = SimulatedCartridge.blank(generation: 5)
        cartridge.partitions = [[.record([1, 2, 3]), .filemark]]
        let drive = SimulatedLTFSDrive(cartridge)
        await #expect(throws: LTFSFormatError.self) { try await LTFSFormatter(options: LTFSFormatOptions()).format(drive) }
        #expect(await drive.mutations.isEmpty)
    }

    @Test(arguments: [
        LTFSFormatOptions(blockSize: 2048), LTFSFormatOptions(blockSize: 2_000_000),
        LTFSFormatOptions(volumeName: "a/b"), LTFSFormatOptions(volumeName: "tab\u{01}"),
        LTFSFormatOptions(volumeName: String(repeating: "x", count: 256)), LTFSFormatOptions(barcode: "ab"),
    ])
    func invalidOptionsAreRefusedBeforeTouchingTheDrive(_ options: LTFSFormatOptions) async throws {
        let drive = SimulatedLTFSDrive(.blank(generation: 5))
        await #expect(throws: LTFSFormatError.self) { try await LTFSFormatter(options: options).format(drive) }
        #expect(await drive.mutations.isEmpty)
    }
}

extension FormatTests {
    @Test func unreadableCartridgeNeedsForce() async throws {
        var cartridge = try SimulatedCartridge.fixture("bad_dp_eod_missing")
        cartridge.partitions[0] = []
        cartridge.hasEndOfData[0] = false
        let drive = SimulatedLTFSDrive(cartridge)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(drive) } throws: { error in
            guard case LTFSFormatError.cartridgeHoldsData(let what) = error else { return false }
            return what.hasPrefix("partition 0 could not be read")
        }
        #expect(await drive.mutations.isEmpty)
        _ = try await LTFSFormatter(options: LTFSFormatOptions(force: true)).format(drive)
        #expect(await LTFSChecker().check(drive).verdict == .consistent)
    }
}
