/// What one read of a record returned.
public enum TapeRead: Sendable, Hashable {
    /// A record's bytes (at most the length asked for).
    case record([UInt8])
    /// A filemark (SSC-4: NO SENSE with FILEMARK); the position is after it.
    case filemark
    /// End of data (SSC-4: BLANK CHECK 08h/00h/05h).
    case endOfData
}

/// Whether a partition has an end-of-data mark (volume statistics log page 17h,
/// parameter 0203h; FFFFFFFFh there means the end of data is missing).
public enum EndOfDataStatus: Sendable, Hashable {
    case present
    case missing
    /// The drive does not report it; a check then relies on locating to end of data.
    case unknown
}

/// What a format or check needs to know about the loaded cartridge.
public struct LTFSCartridgeInfo: Sendable, Hashable {
    /// LTO generation of the medium (5 = LTO-5), nil when the drive cannot tell.
    public var generation: Int?
    /// The barcode the library reports, if any.
    public var barcode: String?
    public var isWORM: Bool
    public var isWriteProtected: Bool

    public init(generation: Int?, barcode: String? = nil, isWORM: Bool = false, isWriteProtected: Bool = false) {
        self.generation = generation
        self.barcode = barcode
        self.isWORM = isWORM
        self.isWriteProtected = isWriteProtected
    }
}

/// One partition's capacity as the tape capacity log page (31h) reports it, in the drive's
/// units (MB on LTO). A partition that does not exist has maximum 0.
public struct PartitionCapacity: Sendable, Hashable {
    public var partition: UInt8
    public var remaining: UInt64
    public var maximum: UInt64

    public init(partition: UInt8, remaining: UInt64, maximum: UInt64) {
        self.partition = partition
        self.remaining = remaining
        self.maximum = maximum
    }
}

/// The drive operations LTFS format and check use. `TapeDrive` conforms through an adapter;
/// tests use in-memory devices. Partitions are SCSI partition numbers (0 = LTFS `a`).
/// Errors are the device's own; LTFS reports them with the step that failed.
public protocol LTFSTapeDevice: Sendable {
    /// LOAD UNLOAD with LOAD set; a no-op when the cartridge is already loaded.
    func load() async throws
    func cartridgeInfo() async throws -> LTFSCartridgeInfo
    /// Log page 31h, one entry per partition the medium has.
    func partitionCapacities() async throws -> [PartitionCapacity]
    /// SET CAPACITY (0Bh) to the full medium. A device that cannot may do nothing.
    func setCapacityToFull() async throws
    /// LOCATE(16) to a logical block of a partition.
    func locate(partition: UInt8, block: UInt64) async throws
    /// SPACE to end of data on a partition; returns end of data's block number.
    func locateToEndOfData(partition: UInt8) async throws -> UInt64
    /// READ(6) variable of one record, at most `maxLength` bytes.
    func readRecord(maxLength: Int) async throws -> TapeRead
    /// WRITE(6) variable of one record at the current position.
    func writeRecord(_ bytes: [UInt8]) async throws
    /// WRITE FILEMARKS(6), not immediate, so buffered records reach the medium.
    func writeFilemarks(_ count: Int) async throws
    /// MODE SENSE(10) current values of one page: the page's bytes from its page-code byte on.
    func modeSensePage(_ pageCode: UInt8) async throws -> [UInt8]
    /// MODE SELECT(10) with PF of one page (bytes from the page-code byte on).
    func modeSelectPage(_ page: [UInt8]) async throws
    /// FORMAT MEDIUM (04h) with this FORMAT field.
    func formatMedium(_ format: UInt8) async throws
    /// READ ATTRIBUTE of one attribute of a partition; nil when it is not present.
    func readAttribute(_ id: UInt16, partition: UInt8) async throws -> MAMAttribute?
    /// WRITE ATTRIBUTE (write-through) of one attribute to a partition.
    func writeAttribute(_ attribute: MAMAttribute, partition: UInt8) async throws
    /// Whether end of data exists on a partition (log page 17h parameter 0203h).
    func endOfDataStatus(partition: UInt8) async throws -> EndOfDataStatus
    /// The block of the nearest filemark before `block` on a partition, nil when the beginning
    /// of the partition comes first. A default steps back with LOCATE and READ.
    func previousFilemark(partition: UInt8, before block: UInt64, maxRecordLength: Int) async throws -> UInt64?
}
