/// Where the tape is, from any READ POSITION form (SSC-4 7.7).
///
/// Short form (service actions 00h/01h, SSC-4 table 34, 20 bytes): byte 0 BOP 80h, EOP 40h,
/// LOCU 20h, BYCU 10h, BPU/LOLU 04h, PERR 02h, BPEW 01h; partition byte 1; first logical
/// object 4–7; last logical object 8–11; objects in buffer 13–15; bytes in buffer 16–19.
/// Long form (06h, SSC-4 table 35, 32 bytes): byte 0 BOP 80h, EOP 40h, MPU 08h, LONU 04h,
/// BPEW 01h; partition 4–7; logical object number 8–15; logical file id 16–23; set id 24–31.
/// Extended form (08h, SSC-4 table 36, 32 bytes): flags as short form; partition byte 1;
/// additional length 2–3; objects in buffer 5–7; first object 8–15; last object 16–23;
/// bytes in buffer 24–31.
public struct TapePosition: Sendable, Hashable, CustomStringConvertible {
    /// BOP: at beginning of partition.
    public var beginningOfPartition: Bool
    /// EOP: between early warning and end of partition.
    public var endOfPartition: Bool
    /// BPEW: beyond the programmable early warning.
    public var beyondEarlyWarning: Bool
    /// BPU / LOLU (short, extended) or LONU / MPU (long): the position is unknown.
    public var positionUnknown: Bool
    /// PERR: a count or location overflowed its field.
    public var positionError: Bool
    /// Partition number (nil when unknown).
    public var partition: UInt32?
    /// Logical object (block) number of the next block to transfer (nil when unknown).
    public var blockNumber: UInt64?
    /// Last logical object location written to the medium (short and extended forms).
    public var lastBlockNumber: UInt64?
    /// File (filemark count) number — long form only.
    public var fileNumber: UInt64?
    /// Set (setmark) number — long form only.
    public var setNumber: UInt64?
    /// Logical objects and bytes in the drive's buffer (nil when unknown or not reported).
    public var blocksInBuffer: UInt32?
    public var bytesInBuffer: UInt64?

    public init(partition: UInt32?, blockNumber: UInt64?, beginningOfPartition: Bool = false,
                endOfPartition: Bool = false, beyondEarlyWarning: Bool = false, positionUnknown: Bool = false,
                positionError: Bool = false, lastBlockNumber: UInt64? = nil, fileNumber: UInt64? = nil,
                setNumber: UInt64? = nil, blocksInBuffer: UInt32? = nil, bytesInBuffer: UInt64? = nil) {
        self.beginningOfPartition = beginningOfPartition
        self.endOfPartition = endOfPartition
        self.beyondEarlyWarning = beyondEarlyWarning
        self.positionUnknown = positionUnknown
        self.positionError = positionError
        self.partition = partition
        self.blockNumber = blockNumber
        self.lastBlockNumber = lastBlockNumber
        self.fileNumber = fileNumber
        self.setNumber = setNumber
        self.blocksInBuffer = blocksInBuffer
        self.bytesInBuffer = bytesInBuffer
    }

    /// Parses the response of READ POSITION with `serviceAction`.
    public init(parsing data: [UInt8], serviceAction: ReadPositionServiceAction) throws(SCSIParseError) {
        switch serviceAction {
        case .shortForm, .shortFormVendorSpecific: try self.init(short: data)
        case .longForm: try self.init(long: data)
        case .extendedForm: try self.init(extended: data)
        }
    }

    private init(short data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ POSITION short form")
        guard data.count >= 20 else {
            throw SCSIParseError(.truncated, r.context, offset: data.count, "need 20 bytes")
        }
        let flags = try r.u8()
        let partition = try r.u8()
        try r.skip(2)
        let first = try r.u32()
        let last = try r.u32()
        try r.skip(1)
        let blocks = try r.u24()
        let bytes = try r.u32()
        let unknown = flags & 0x04 != 0
        self.init(partition: unknown ? nil : UInt32(partition), blockNumber: unknown ? nil : UInt64(first),
                  beginningOfPartition: flags & 0x80 != 0, endOfPartition: flags & 0x40 != 0,
                  beyondEarlyWarning: flags & 0x01 != 0, positionUnknown: unknown,
                  positionError: flags & 0x02 != 0, lastBlockNumber: unknown ? nil : UInt64(last),
                  blocksInBuffer: flags & 0x20 != 0 ? nil : blocks,
                  bytesInBuffer: flags & 0x10 != 0 ? nil : UInt64(bytes))
    }

    private init(long data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ POSITION long form")
        guard data.count >= 32 else {
            throw SCSIParseError(.truncated, r.context, offset: data.count, "need 32 bytes")
        }
        let flags = try r.u8()
        try r.skip(3)
        let partition = try r.u32()
        let object = try r.u64()
        let file = try r.u64()
        let set = try r.u64()
        let numbersUnknown = flags & 0x04 != 0  // LONU
        let mediumPositionUnknown = flags & 0x08 != 0  // MPU
        self.init(partition: numbersUnknown ? nil : partition, blockNumber: numbersUnknown ? nil : object,
                  beginningOfPartition: flags & 0x80 != 0, endOfPartition: flags & 0x40 != 0,
                  beyondEarlyWarning: flags & 0x01 != 0, positionUnknown: numbersUnknown || mediumPositionUnknown,
                  fileNumber: mediumPositionUnknown ? nil : file, setNumber: mediumPositionUnknown ? nil : set)
    }

    private init(extended data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ POSITION extended form")
        guard data.count >= 32 else {
            throw SCSIParseError(.truncated, r.context, offset: data.count, "need 32 bytes")
        }
        let flags = try r.u8()
        let partition = try r.u8()
        let additional = try r.u16()
        guard additional >= 0x1C else {
            throw SCSIParseError(.invalidField, r.context, offset: 2, "additional length \(additional)")
        }
        try r.skip(1)
        let blocks = try r.u24()
        let first = try r.u64()
        let last = try r.u64()
        let bytes = try r.u64()
        let unknown = flags & 0x04 != 0
        self.init(partition: unknown ? nil : UInt32(partition), blockNumber: unknown ? nil : first,
                  beginningOfPartition: flags & 0x80 != 0, endOfPartition: flags & 0x40 != 0,
                  beyondEarlyWarning: flags & 0x01 != 0, positionUnknown: unknown,
                  positionError: flags & 0x02 != 0, lastBlockNumber: unknown ? nil : last,
                  blocksInBuffer: flags & 0x20 != 0 ? nil : blocks,
                  bytesInBuffer: flags & 0x10 != 0 ? nil : bytes)
    }

    /// Encodes this position in `form` (for simulators and tests). Unknown fields are zero.
    public func encoded(_ form: ReadPositionServiceAction) -> [UInt8] {
        var flags: UInt8 = (beginningOfPartition ? 0x80 : 0) | (endOfPartition ? 0x40 : 0)
        flags |= beyondEarlyWarning ? 0x01 : 0
        switch form {
        case .shortForm, .shortFormVendorSpecific:
            flags |= (positionUnknown ? 0x04 : 0) | (positionError ? 0x02 : 0)
            flags |= (blocksInBuffer == nil ? 0x20 : 0) | (bytesInBuffer == nil ? 0x10 : 0)
            return [flags, UInt8(truncatingIfNeeded: partition ?? 0), 0, 0]
                + BigEndian.bytes(blockNumber ?? 0, count: 4) + BigEndian.bytes(lastBlockNumber ?? 0, count: 4)
                + [0] + BigEndian.bytes(UInt64(blocksInBuffer ?? 0), count: 3)
                + BigEndian.bytes(bytesInBuffer ?? 0, count: 4)
        case .longForm:
            flags |= positionUnknown ? 0x04 : 0
            return [flags, 0, 0, 0] + BigEndian.bytes(UInt64(partition ?? 0), count: 4)
                + BigEndian.bytes(blockNumber ?? 0, count: 8) + BigEndian.bytes(fileNumber ?? 0, count: 8)
                + BigEndian.bytes(setNumber ?? 0, count: 8)
        case .extendedForm:
            flags |= (positionUnknown ? 0x04 : 0) | (positionError ? 0x02 : 0)
            flags |= (blocksInBuffer == nil ? 0x20 : 0) | (bytesInBuffer == nil ? 0x10 : 0)
            return [flags, UInt8(truncatingIfNeeded: partition ?? 0), 0x00, 0x1C, 0]
                + BigEndian.bytes(UInt64(blocksInBuffer ?? 0), count: 3)
                + BigEndian.bytes(blockNumber ?? 0, count: 8) + BigEndian.bytes(lastBlockNumber ?? 0, count: 8)
                + BigEndian.bytes(bytesInBuffer ?? 0, count: 8)
        }
    }

    public var description: String {
        guard let blockNumber else { return "position unknown" }
        var s = "partition \(partition ?? 0) block \(blockNumber)"
        if let fileNumber { s += " file \(fileNumber)" }
        if beginningOfPartition { s += " BOP" }
        if endOfPartition { s += " EOP" }
        if beyondEarlyWarning { s += " BPEW" }
        return s
    }
}
