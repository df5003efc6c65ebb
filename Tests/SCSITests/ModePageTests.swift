import Testing
@testable import SCSI

@Suite struct ModePageTests {
    /// MODE SENSE(6) of a tape drive, page 0Fh: header (SPC-4 table 447; SSC-4 table 91
    /// device-specific byte: WP, buffered mode 1), one short block descriptor (SSC-4 table
    /// 92: density 5Eh LTO-8, variable blocks), Data Compression page (SSC-4 table 96) with
    /// DCE, DCC, DDE, algorithm 1.
    static let compression6: [UInt8] = bytes("""
        1F 00 90 08
        5E 00 00 00 00 00 00 00
        8F 0E C0 80 00 00 00 01 00 00 00 01 00 00 00 00
        """)

    @Test func modeSense6WithBlockDescriptorAndCompression() throws {
        let m = try ModeParameters(parsing6: Self.compression6)
        #expect(m.writeProtected)
        #expect(m.bufferedMode == 1)
        #expect(m.blockDescriptors == [BlockDescriptor(densityCode: 0x5E, numberOfBlocks: 0, blockLength: 0)])
        #expect(LTOGeneration(densityCode: m.blockDescriptors[0].densityCode) == .lto8)
        let page = try #require(m.page(0x0F))
        #expect(page.parametersSaveable)
        let dc = try DataCompressionPage(page)
        #expect(dc.compressionEnabled && dc.compressionCapable && dc.decompressionEnabled)
        #expect(dc.compressionAlgorithm == 1 && dc.decompressionAlgorithm == 1)
    }

    @Test func modeSelectListForCompression() throws {
        // Turn compression off: header with mode data length 0 (reserved in MODE SELECT),
        // buffered mode kept, WP cleared; the block descriptor and page as sensed, PS cleared.
        var m = try ModeParameters(parsing6: Self.compression6)
        var dc = try DataCompressionPage(try #require(m.page(0x0F)))
        dc.compressionEnabled = false
        m.pages = [dc.page]
        let list = m.modeSelect6List()
        #expect(list == bytes("""
            00 00 10 08
            5E 00 00 00 00 00 00 00
            0F 0E 40 80 00 00 00 01 00 00 00 01 00 00 00 00
            """))
        let command = SCSICommand.modeSelect6(parameters: list)
        #expect(command.cdb == [0x15, 0x10, 0, 0, 28, 0])
        let ten = m.modeSelect10List()
        #expect(Array(ten.prefix(8)) == [0, 0, 0, 0x10, 0, 0, 0, 8])
        // MODE SELECT leaves MODE DATA LENGTH reserved (0); as sense data it needs the length.
        var sensed = ten
        sensed.replaceSubrange(0..<2, with: BigEndian.bytes(UInt64(ten.count - 2), count: 2))
        #expect(try ModeParameters(parsing10: sensed).pages == m.pages)
    }

    /// MODE SENSE(10) with page 11h as an LTO-6 drive reports two partitions (SSC-4 table
    /// 101): max additional partitions 1, one defined, IDP, PSUM 11b, POFM clear, partition
    /// units 9 (10^9 bytes = GB), sizes 1 GB-ish and FFFFh (rest).
    static let partition10: [UInt8] = bytes("""
        00 16 00 10 00 00 00 00
        91 0A 01 01 38 03 09 00 00 01 FF FF
        """) + [0, 0, 0, 0]

    @Test func mediumPartitionPage() throws {
        let m = try ModeParameters(parsing10: Self.partition10)
        #expect(m.blockDescriptors.isEmpty)
        let p = try MediumPartitionPage(try #require(m.page(0x11)))
        #expect(p.maximumAdditionalPartitions == 1)
        #expect(p.additionalPartitionsDefined == 1)
        #expect(!p.fixedDataPartitions && !p.selectDataPartitions && p.initiatorDefinedPartitions)
        #expect(p.sizeUnit == .powerOfTen)
        #expect(!p.partitionOnFormat)
        #expect(p.mediumFormatRecognition == 3)
        #expect(p.partitionUnits == 9)
        #expect(p.partitionSizes == [1, 0xFFFF])
        #expect(p.partitionSizeBytes(0) == 1_000_000_000)
        #expect(p.partitionSizeBytes(1) == nil)
    }

    @Test func mediumPartitionSelectListAsLTFSBuildsIt() {
        // Two partitions, initiator defined, sizes in GB: partition 0 = 1.5 GB rounded to 2,
        // partition 1 = the rest. SSC-4 table 101 byte 4 = IDP 20h | PSUM 11b << 3 = 38h.
        let page = MediumPartitionPage(additionalPartitionsDefined: 1, partitionOnFormat: false,
                                       partitionUnits: 9, partitionSizes: [2, 0xFFFF],
                                       maximumAdditionalPartitions: 1).page
        #expect(page.encoded == bytes("11 0A 01 01 38 00 09 00 00 02 FF FF"))
        let list = ModeParameters(deviceSpecific: 0x10, pages: [page]).modeSelect6List()
        #expect(list == bytes("00 00 10 00 11 0A 01 01 38 00 09 00 00 02 FF FF"))
    }

    @Test func longLBABlockDescriptor() throws {  // SPC-4 table 448 + long LBA descriptor
        let data = bytes("00 16 00 00 01 00 00 10") + bytes("00 00 00 00 00 01 00 00 00 00 00 00 00 00 02 00")
        let m = try ModeParameters(parsing10: data)
        #expect(m.longLBA)
        #expect(m.blockDescriptors == [BlockDescriptor(numberOfBlocks: 0x10000, blockLength: 512)])
    }

    @Test func deviceConfigurationAndMediumConfiguration() throws {
        // SSC-4 table 98: active partition 1, write delay 64h, EEG, select compression 1.
        let dcPage = ModePage(code: 0x10, body: bytes("00 01 00 00 00 64 00 00 10 00 00 00 01 00"))
        let dc = try DeviceConfigurationPage(dcPage)
        #expect(dc.activePartition == 1)
        #expect(dc.writeDelayTime == 100)
        #expect(dc.enableEODGeneration)
        #expect(dc.selectDataCompressionAlgorithm == 1)
        // SSC-4 table 104: WORMM set.
        let worm = try MediumConfigurationPage(ModePage(code: 0x1D, body: bytes("01 00 01 02") + Array(repeating: 0, count: 26)))
        #expect(worm.wormMode)
        #expect(worm.wormModeLabelRestrictions == 1 && worm.wormModeFilemarkRestrictions == 2)
        #expect(throws: SCSIParseError.self) { try DataCompressionPage(dcPage) }
    }

    /// Changer MODE SENSE(6) with DBD as mtx asks for it (page 1Dh, SMC-3 table 30): one
    /// transport at 0, 40 slots at 1000h, 2 mail slots at 10h, 2 drives at 100h.
    static let addressAssignment: [UInt8] = bytes("""
        17 00 00 00
        9D 12 00 00 00 01 10 00 00 28 00 10 00 02 01 00 00 02 00 00
        """)

    @Test func elementAddressAssignment() throws {
        let m = try ModeParameters(parsing6: Self.addressAssignment)
        let ea = try ElementAddressAssignmentPage(try #require(m.page(0x1D)))
        #expect(ea.mediumTransport == .init(first: 0, count: 1))
        #expect(ea.storage == .init(first: 0x1000, count: 40))
        #expect(ea.importExport == .init(first: 0x10, count: 2))
        #expect(ea.dataTransfer == .init(first: 0x100, count: 2))
        #expect(ea.storage.addresses.count == 40)
        #expect(ea.type(of: 0x1027) == .storage)
        #expect(ea.type(of: 0x1028) == nil)
        #expect(ea.type(of: 0x0101) == .dataTransfer)
        #expect(ea.page.encoded.dropFirst(2) == Self.addressAssignment.dropFirst(6))
        // The same 1Dh code on a drive means Medium Configuration: the caller chooses.
        #expect((try? MediumConfigurationPage(try #require(m.page(0x1D)))) != nil)
    }

    @Test func transportGeometryAndDeviceCapabilities() throws {
        // SMC-3 table 33: one transport, ROTATE clear, member 0.
        let tg = try TransportGeometryPage(ModePage(code: 0x1E, body: [0x00, 0x00]))
        #expect(tg.transports.count == 1 && !tg.transports[0].rotate)
        // SMC-3 table 31, the values tgt uses: STOR all (0Fh), MT→ only ST/IE/MT (07h),
        // others → all (0Fh), exchanges all.
        let caps = try DeviceCapabilitiesPage(ModePage(code: 0x1F,
            body: bytes("0F 00 07 0F 0F 0F 00 00 00 00 0F 0F 0F 0F 00 00 00 00")))
        #expect(caps.canStore(.dataTransfer))
        #expect(!caps.canMove(from: .mediumTransport, to: .dataTransfer))
        #expect(caps.canMove(from: .storage, to: .dataTransfer))
        #expect(caps.canMove(from: .importExport, to: .storage))
        #expect(caps.canExchange(from: .dataTransfer, to: .storage))
        #expect(!caps.canMove(from: .all, to: .storage))
    }

    @Test func contradictoryLengths() {
        // Block descriptor length 5 is not a multiple of 8.
        #expect(throws: SCSIParseError.self) { try ModeParameters(parsing6: bytes("0B 00 00 05 00 00 00 00 00 00 00 00")) }
        // Block descriptor length beyond the data.
        #expect(throws: SCSIParseError.self) { try ModeParameters(parsing6: bytes("0B 00 00 10 00 00 00 00 00 00 00 00")) }
        // A page longer than the mode data.
        #expect(throws: SCSIParseError.self) { try ModeParameters(parsing6: bytes("05 00 00 00 0F 0E")) }
    }

    @Test func parsersAreTotal() {
        Fuzz.assertTotal(valid: [Self.compression6, Self.addressAssignment]) { b in
            let m = try ModeParameters(parsing6: b)
            for page in m.pages {
                _ = try? DataCompressionPage(page)
                _ = try? ElementAddressAssignmentPage(page)
                _ = try? MediumConfigurationPage(page)
                _ = try? DeviceConfigurationPage(page)
                _ = try? TransportGeometryPage(page)
                _ = try? DeviceCapabilitiesPage(page)
                if let p = try? MediumPartitionPage(page) { _ = (0..<4).map { p.partitionSizeBytes($0) } }
            }
        }
        Fuzz.assertTotal(valid: [Self.partition10]) { b in
            let m = try ModeParameters(parsing10: b)
            for page in m.pages { _ = try? MediumPartitionPage(page) }
        }
    }
}
