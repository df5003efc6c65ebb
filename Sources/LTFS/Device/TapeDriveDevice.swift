import SCSI
import TapeHardware

/// `LTFSTapeDevice` over TapeHardware's `TapeDrive`: the path format and check take on a real
/// or simulated drive. Each operation is one `TapeDrive` call or a short sequence of them.
public struct TapeDriveDevice: LTFSTapeDevice {
    public let drive: TapeDrive
    /// The barcode the library reports for the loaded cartridge (a drive does not know it).
    public let barcode: String?

    public init(drive: TapeDrive, barcode: String? = nil) {
        self.drive = drive
        self.barcode = barcode
    }

    public func load() async throws {
        try await drive.load()
    }

    public func cartridgeInfo() async throws -> LTFSCartridgeInfo {
        // Header WP (SSC-4 table 91), the block descriptor's density code (SSC-4 table 92) and
        // the Medium Configuration page's WORMM bit (SSC-4 table 102, byte 2 bit 0).
        let (parameters, configuredWORM) = try await mediumConfiguration()
        var worm = configuredWORM
        if worm == nil { worm = (try? await drive.volumeStatistics())?.worm }
        let density = parameters.blockDescriptors.first?.densityCode ?? 0
        // The generation table is SCSI's (one source of the fact); M8 media counts as LTO-7 media.
        return LTFSCartridgeInfo(generation: LTOGeneration(densityCode: density)?.number, barcode: barcode,
                                 isWORM: worm ?? false, isWriteProtected: parameters.writeProtected)
    }

    /// MODE SENSE of the Medium Configuration page, or for drives without it (05h/24h/00h) of
    /// the Data Compression page: the header and block descriptor come with any page. The WORM
    /// bit is known only from page 1Dh.
    func mediumConfiguration() async throws -> (ModeParameters, Bool?) {
        let code = LTFSModePages.mediumConfigurationPageCode
        var refused = false
        var sensed: ModeParameters?
        do {
            sensed = try await drive.modeSense(page: code)
        } catch {
            guard error.matches(.illegalRequest) else { throw error }
            refused = true
        }
        if let sensed, !refused {
            let wormBit = sensed.page(code)?.body.first.map { $0 & 0x01 != 0 }
            return (sensed, wormBit)
        }
        let fallback = try await drive.modeSense(page: LTFSModePages.dataCompressionPageCode)
        return (fallback, nil)
    }

    public func partitionCapacities() async throws -> [PartitionCapacity] {
        let log = try await drive.capacity()
        var capacities: [PartitionCapacity] = []
        for p in 0..<min(log.maximumMiB.count, 2) {
            let maximum = log.maximumMiB[p] ?? 0
            if maximum > 0 || p == 0 {
                let remaining = p < log.remainingMiB.count ? log.remainingMiB[p] ?? 0 : 0
                capacities.append(PartitionCapacity(partition: UInt8(p), remaining: remaining, maximum: maximum))
            }
        }
        return capacities
    }

    public func setCapacityToFull() async throws {
        _ = try await drive.execute(.setCapacity(proportion: 0xFFFF))
    }

    public func locate(partition: UInt8, block: UInt64) async throws {
        try await drive.locate(partition: partition, block: block)
    }

    public func locateToEndOfData(partition: UInt8) async throws -> UInt64 {
        try await drive.locate(partition: partition, block: 0)
        try await drive.space(.endOfData, count: 0)
        return try await block()
    }

    func block() async throws -> UInt64 {
        guard let block = try await drive.position().blockNumber else {
            throw SCSIError.parse(SCSIParseError(.invalidField, "READ POSITION", "no block number"))
        }
        return block
    }

    public func readRecord(maxLength: Int) async throws -> TapeRead {
        switch try await drive.readRecord(maxLength: maxLength) {
        case .record(let bytes, _): return .record(bytes)
        case .filemark: return .filemark
        case .endOfData: return .endOfData
        }
    }

    public func writeRecord(_ bytes: [UInt8]) async throws {
        try await drive.write(record: bytes)
    }

    public func writeFilemarks(_ count: Int) async throws {
        try await drive.writeFilemarks(UInt32(clamping: count))
    }

    public func modeSensePage(_ pageCode: UInt8) async throws -> [UInt8] {
        let parameters = try await drive.modeSense(page: pageCode)
        guard let page = parameters.page(pageCode) else {
            throw SCSIError.parse(SCSIParseError(.invalidField, "MODE SENSE", "page \(pageCode) missing"))
        }
        return page.encoded
    }

    public func modeSelectPage(_ page: [UInt8]) async throws {
        guard page.count >= 2 else {
            throw SCSIError.parse(SCSIParseError(.truncated, "mode page", offset: page.count))
        }
        // Keep the sensed device-specific byte (buffered mode); MODE SELECT ignores WP.
        let sensed = try await drive.modeSense(page: page[0] & 0x3F)
        let parameters = ModeParameters(mediumType: 0, deviceSpecific: sensed.deviceSpecific & 0x7F,
                                        pages: [ModePage(code: page[0] & 0x3F, body: Array(page.dropFirst(2)))])
        try await drive.modeSelect(parameters)
    }

    public func formatMedium(_ format: UInt8) async throws {
        try await drive.format(MediumFormat(rawValue: format) ?? .partition)
    }

    public func readAttribute(_ id: UInt16, partition: UInt8) async throws -> MAMAttribute? {
        let list: AttributeList
        do {
            list = try await drive.attributes(partition: partition, first: id)
        } catch where error.matches(.illegalRequest, .invalidFieldInCDB) {
            // Drives answer 05h/24h/00h for an attribute that is not there.
            return nil
        }
        guard let found = list[AttributeIdentifier(id)],
              let format = MAMAttribute.Format(rawValue: found.format.rawValue) else { return nil }
        return MAMAttribute(id: id, format: format, value: found.value, isReadOnly: found.readOnly)
    }

    public func writeAttribute(_ attribute: MAMAttribute, partition: UInt8) async throws {
        guard let format = AttributeFormat(rawValue: attribute.format.rawValue) else { return }
        try await drive.writeAttributes([MediumAttribute(id: AttributeIdentifier(attribute.id), format: format,
                                                         value: attribute.value)], partition: partition)
    }

    public func endOfDataStatus(partition: UInt8) async throws -> EndOfDataStatus {
        let log = try await drive.volumeStatistics()
        guard let list = log.parameters.first(where: { $0.code == 0x0203 })?.value else { return .unknown }
        return try EndOfDataList.status(of: partition, in: list)
    }

    public func previousFilemark(partition: UInt8, before block: UInt64, maxRecordLength: Int) async throws -> UInt64? {
        guard block > 0 else { return nil }
        try await drive.locate(partition: partition, block: block)
        do {
            // SPACE −1 filemark stops on the beginning-of-partition side of the filemark.
            try await drive.space(.filemarks, count: -1)
        } catch where error.sense?.additionalSense == .beginningOfPartitionDetected {
            return nil
        }
        return try await self.block()
    }
}

/// Volume Statistics log page 17h parameter 0203h (SSC-4 table 134): a partition record list of
/// entries: length (1, = 07h), reserved (1), partition (2), value (4). FFFFFFFFh means the
/// partition's end of data is missing.
enum EndOfDataList {
    static func status(of partition: UInt8, in list: [UInt8]) throws(SCSIParseError) -> EndOfDataStatus {
        var reader = ByteReader(list, context: "log page 17h parameter 0203h")
        while !reader.isAtEnd {
            let length = Int(try reader.u8())
            var entry = try reader.sub(length)
            try entry.skip(1)
            let number = try entry.u16()
            let value = try entry.uint(min(entry.remaining, 8))
            if number == partition { return value == 0xFFFF_FFFF ? .missing : .present }
        }
        return .unknown
    }
}
