import SCSI

/// `LTFSTapeDevice` straight over a drive's `SCSITransport`, with the SSC-4 CDB builders of
/// the SCSI module. It is the bridge until `TapeDrive` offers these operations; it keeps no
/// state of its own, so each call is one or a few commands.
public struct TransportTapeDevice: LTFSTapeDevice {
    public let transport: any SCSITransport
    /// The barcode the library reports for the loaded cartridge (a drive does not know it).
    public let barcode: String?

    public init(transport: any SCSITransport, barcode: String? = nil) {
        self.transport = transport
        self.barcode = barcode
    }

    @discardableResult
    func run(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        let result: SCSIResult
        do {
            result = try await transport.execute(command)
        } catch {
            throw .transport(error)
        }
        return try result.checked(opcode: command.operationCode)
    }

    /// Runs a command, retrying a pending UNIT ATTENTION (medium changed, reset) a few times.
    @discardableResult
    func runAfterAttention(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        var attempts = 0
        while true {
            do {
                return try await run(command)
            } catch let error where error.matches(.unitAttention) && attempts < 4 {
                attempts += 1
            }
        }
    }

    /// Writes tolerate the early-warning (end-of-partition zone) condition: the data was written.
    func runWrite(_ command: SCSICommand) async throws(SCSIError) {
        do {
            try await run(command)
        } catch let error where error.sense.map({ $0.senseKey == .noSense && $0.endOfMedium }) == true {
            return
        }
    }

    public func load() async throws {
        try await runAfterAttention(.testUnitReady())
        try await runAfterAttention(.loadUnload(load: true))
    }

    public func cartridgeInfo() async throws -> LTFSCartridgeInfo {
        // MODE SENSE(10) header (SPC-4 table 454): device-specific parameter byte 3 (SSC-4
        // table 72: WP bit 7), block descriptor length bytes 6–7; the short block descriptor's
        // first byte is the density code (SSC-4 table 73).
        let response = try await run(.modeSense10(page: LTFSModePages.mediumConfigurationPageCode)).data
        var header = ByteReader(response, context: "MODE SENSE(10) header")
        _ = try header.u16()
        _ = try header.u8()
        let deviceSpecific = try header.u8()
        try header.skip(2)
        let descriptorLength = Int(try header.u16())
        let density = descriptorLength >= 8 ? try header.u8() : 0
        // Medium Configuration page (SSC-4 table 102): WORMM, byte 2 bit 0.
        let pageOffset = 8 + descriptorLength
        var worm = false
        if response.count > pageOffset + 2, response[pageOffset] & 0x3F == 0x1D {
            worm = response[pageOffset + 2] & 0x01 != 0
        }
        return LTFSCartridgeInfo(generation: LTODensity.generation(densityCode: density), barcode: barcode,
                                 isWORM: worm, isWriteProtected: deviceSpecific & 0x80 != 0)
    }

    public func partitionCapacities() async throws -> [PartitionCapacity] {
        // Tape Capacity log page 31h (IBM/HPE LTO): parameters 1/2 remaining capacity of
        // partitions 0/1, 3/4 maximum capacity, in MB.
        let parameters = try LogPageParameters(try await run(.logSense(page: 0x31)).data)
        var capacities: [PartitionCapacity] = []
        for p: UInt16 in [0, 1] {
            let maximum: UInt64 = parameters.integer(3 + p) ?? 0
            let remaining: UInt64 = parameters.integer(1 + p) ?? 0
            if maximum > 0 || p == 0 {
                capacities.append(PartitionCapacity(partition: UInt8(p), remaining: remaining, maximum: maximum))
            }
        }
        return capacities
    }

    public func setCapacityToFull() async throws {
        try await run(.setCapacity(proportion: 0xFFFF))
    }

    public func locate(partition: UInt8, block: UInt64) async throws {
        try await run(.locate16(partition: partition, block: block, changePartition: true))
    }

    public func locateToEndOfData(partition: UInt8) async throws -> UInt64 {
        try await locate(partition: partition, block: 0)
        try await run(.space16(code: .endOfData, count: 0))
        return try await position()
    }

    /// READ POSITION long form (SSC-4 table 35): logical object number, bytes 8–15.
    func position() async throws -> UInt64 {
        var reader = ByteReader(try await run(.readPosition(serviceAction: .longForm)).data, context: "READ POSITION")
        try reader.skip(8)
        return try reader.u64()
    }

    public func readRecord(maxLength: Int) async throws -> TapeRead {
        let command = SCSICommand.read6(length: maxLength, sili: true)
        let result: SCSIResult
        do {
            result = try await transport.execute(command)
        } catch {
            throw SCSIError.transport(error)
        }
        guard result.status == .checkCondition, let sense = result.senseData else {
            return .record(try result.checked(opcode: command.operationCode).data)
        }
        if sense.filemark { return .filemark }
        if sense.senseKey == .blankCheck { return .endOfData }
        // A record longer than the buffer: ILI with its head returned (SSC-4 4.2.9.3).
        if sense.senseKey == .noSense, sense.incorrectLength { return .record(result.data) }
        if sense.senseKey == .noSense, sense.endOfMedium { return .record(result.data) }
        throw SCSIError.checkCondition(sense, opcode: command.operationCode)
    }

    public func writeRecord(_ bytes: [UInt8]) async throws {
        try await runWrite(.write6(data: bytes))
    }

    public func writeFilemarks(_ count: Int) async throws {
        try await runWrite(.writeFilemarks6(count: UInt32(clamping: count)))
    }

    public func modeSensePage(_ pageCode: UInt8) async throws -> [UInt8] {
        let response = try await run(.modeSense10(page: pageCode, dbd: true)).data
        var reader = ByteReader(response, context: "MODE SENSE(10)")
        try reader.skip(6)
        let descriptorLength = Int(try reader.u16())
        try reader.skip(descriptorLength)
        var pageHeader = reader
        _ = try pageHeader.u8()
        let length = Int(try pageHeader.u8())
        return try reader.bytes(length + 2)
    }

    public func modeSelectPage(_ page: [UInt8]) async throws {
        // MODE SELECT(10) parameter list (SPC-4 table 454): mode data length and medium type
        // zero, the device-specific byte as sensed without WP (keeps buffered mode), no block
        // descriptor, then the page.
        let sensed = try await run(.modeSense10(page: page.first.map { $0 & 0x3F } ?? 0, dbd: true)).data
        let deviceSpecific = sensed.count > 3 ? sensed[3] & 0x7F : 0x10
        let parameters: [UInt8] = [0, 0, 0, deviceSpecific, 0, 0, 0, 0] + page
        try await run(.modeSelect10(parameters: parameters, pf: true))
    }

    public func formatMedium(_ format: UInt8) async throws {
        try await run(.formatMedium(format: MediumFormat(rawValue: format) ?? .partition))
    }

    public func readAttribute(_ id: UInt16, partition: UInt8) async throws -> MAMAttribute? {
        let data: [UInt8]
        do {
            data = try await run(.readAttribute(partition: partition, firstAttribute: id, allocationLength: 0x2000)).data
        } catch let error where error.matches(.illegalRequest, .invalidFieldInCDB) {
            // Drives answer 05h/24h/00h for an attribute that is not there.
            return nil
        }
        // Attribute values (SPC-4 table 330): available data (4), then attributes ≥ the first asked.
        guard data.count > 4 else { return nil }
        let attribute = try MAMAttribute.decode(Array(data[4...]))
        return attribute.id == id ? attribute : nil
    }

    public func writeAttribute(_ attribute: MAMAttribute, partition: UInt8) async throws {
        let encoded = attribute.encoded()
        let parameters = BigEndian.bytes(UInt64(encoded.count), count: 4) + encoded
        try await run(.writeAttribute(parameters: parameters, writeThrough: true, partition: partition))
    }

    public func endOfDataStatus(partition: UInt8) async throws -> EndOfDataStatus {
        // Volume Statistics log page 17h, parameter 0203h (SSC-4 table 134): a partition record
        // list of 8-byte entries: length 07h, reserved, partition (2), value (4).
        let parameters = try LogPageParameters(try await run(.logSense(page: 0x17)).data)
        guard let list = parameters.values[0x0203] else { return .unknown }
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

    public func previousFilemark(partition: UInt8, before block: UInt64, maxRecordLength: Int) async throws -> UInt64? {
        guard block > 0 else { return nil }
        try await locate(partition: partition, block: block)
        do {
            // SPACE −1 filemark stops on the beginning-of-partition side of the filemark.
            try await run(.space16(code: .filemarks, count: -1))
        } catch let error where error.sense?.additionalSense == .beginningOfPartitionDetected {
            return nil
        }
        return try await position()
    }
}

/// A log page's parameters by code (SPC-4 table 333: page header 4 bytes; each parameter
/// code (2), control (1), length (1), value).
struct LogPageParameters {
    var values: [UInt16: [UInt8]] = [:]

    init(_ page: [UInt8]) throws(SCSIParseError) {
        var reader = ByteReader(page, context: "log page")
        try reader.skip(2)
        let length = Int(try reader.u16())
        var body = try reader.sub(min(length, reader.remaining))
        while body.remaining >= 4 {
            let code = try body.u16()
            _ = try body.u8()
            let n = Int(try body.u8())
            values[code] = try body.bytes(min(n, body.remaining))
        }
    }

    func integer(_ code: UInt16) -> UInt64? {
        guard let v = values[code], (1...8).contains(v.count) else { return nil }
        return v.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// LTO density codes (scsi-reference.md, "LTO generations") to generations.
public enum LTODensity {
    public static func generation(densityCode: UInt8) -> Int? {
        switch densityCode {
        case 0x40: return 1
        case 0x42: return 2
        case 0x44: return 3
        case 0x46: return 4
        case 0x58: return 5
        case 0x5A: return 6
        case 0x5C: return 7
        case 0x5D, 0x5E: return 8   // 5Dh: LTO-7 media formatted as M8 in an LTO-8 drive.
        case 0x60: return 9
        case 0x62, 0x63: return 10
        default: return nil
        }
    }
}
