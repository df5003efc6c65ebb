// CDB builders for sequential-access (tape drive) commands (SSC-4).

/// SPACE codes (SSC-4 table 44).
public enum SpaceCode: UInt8, Sendable, Hashable {
    case logicalBlocks = 0x0
    case filemarks = 0x1
    case sequentialFilemarks = 0x2
    case endOfData = 0x3
}

/// READ POSITION service actions (SSC-4 table 33).
public enum ReadPositionServiceAction: UInt8, Sendable, Hashable {
    /// Short form, block identifiers (20 bytes).
    case shortForm = 0x00
    /// Short form, vendor-specific block identifiers (20 bytes); Linux `st` sends this one.
    case shortFormVendorSpecific = 0x01
    /// Long form: partition, logical object, file and set numbers (32 bytes).
    case longForm = 0x06
    /// Extended form: 64-bit locations and buffer counts (32 bytes).
    case extendedForm = 0x08

    /// Bytes the device returns for this form.
    public var responseLength: Int {
        switch self {
        case .shortForm, .shortFormVendorSpecific: return 20
        case .longForm, .extendedForm: return 32
        }
    }
}

/// FORMAT MEDIUM format field (SSC-4 table 16).
public enum MediumFormat: UInt8, Sendable, Hashable {
    /// Default format (one partition).
    case defaultFormat = 0x0
    /// Partition per the Medium Partition mode page.
    case partition = 0x1
    /// Default format, then partition per the mode page.
    case defaultThenPartition = 0x2
}

/// LOCATE(16) destination types (SSC-4 table 25).
public enum LocateDestination: UInt8, Sendable, Hashable {
    case logicalObject = 0, logicalFile = 1, endOfData = 3
}

extension SCSICommand {
    /// REWIND (SSC-4 table 54): IMMED byte 1 bit 0.
    public static func rewind(immediate: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x01, immediate ? 0x01 : 0, 0, 0, 0, 0])
    }

    /// FORMAT MEDIUM (SSC-4 table 15): VERIFY byte 1 bit 1, IMMED bit 0; format byte 2
    /// bits 3–0; transfer length bytes 3–4 (no parameter data here).
    public static func formatMedium(format: MediumFormat = .defaultFormat, immediate: Bool = false,
                                    verify: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x04, (verify ? 0x02 : 0) | (immediate ? 0x01 : 0), format.rawValue, 0, 0, 0])
    }

    /// READ BLOCK LIMITS (SSC-4 table 35): MLOI byte 1 bit 0 (20-byte response with the
    /// maximum logical object identifier instead of the 6-byte limits).
    public static func readBlockLimits(mloi: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x05, mloi ? 0x01 : 0, 0, 0, 0, 0],
                    transfer: .fromDevice(allocationLength: mloi ? 20 : 6),
                    timeout: CommandClass.quick.timeout)
    }

    /// READ(6) (SSC-4 table 30): SILI byte 1 bit 1, FIXED bit 0; transfer length bytes 2–4.
    /// Variable mode: `length` is the buffer size in bytes. Fixed mode: `length` counts
    /// blocks of `blockSize` bytes. The length field holds at most FFFFFFh.
    public static func read6(length: Int, fixed: Bool = false, sili: Bool = false,
                             blockSize: Int = 0) -> SCSICommand {
        let field = UInt64(max(0, min(length, 0xFF_FFFF)))
        let product = Int(field).multipliedReportingOverflow(by: max(0, blockSize))
        let bufferSize = fixed ? (product.overflow ? Int.max : product.partialValue) : Int(field)
        let b1: UInt8 = (sili && !fixed ? 0x02 : 0) | (fixed ? 0x01 : 0)
        return SCSICommand(cdb: [0x08, b1] + BigEndian.bytes(field, count: 3) + [0],
                           transfer: .fromDevice(allocationLength: bufferSize))
    }

    /// WRITE(6) (SSC-4 table 67): FIXED byte 1 bit 0; transfer length bytes 2–4 — the byte
    /// count in variable mode, the block count (`data.count / blockSize`) in fixed mode.
    /// WRITE(6) of one variable-length record read in place from `bytes` (a reused block buffer).
    public static func write6(borrowing bytes: BorrowedBytes) -> SCSICommand {
        SCSICommand(cdb: [0x0A, 0] + BigEndian.bytes(UInt64(min(bytes.count, 0xFF_FFFF)), count: 3) + [0],
                    transfer: .toDeviceInPlace(bytes))
    }

    public static func write6(data: [UInt8], fixed: Bool = false, blockSize: Int = 0) -> SCSICommand {
        let count = fixed && blockSize > 0 ? data.count / blockSize : data.count
        return SCSICommand(cdb: [0x0A, fixed ? 0x01 : 0]
                                + BigEndian.bytes(UInt64(min(count, 0xFF_FFFF)), count: 3) + [0],
                           transfer: .toDevice(data))
    }

    /// SET CAPACITY (SSC-4 table 57): IMMED byte 1 bit 0; capacity proportion value bytes
    /// 3–4 (proportion / 65535 of the native capacity).
    public static func setCapacity(proportion: UInt16, immediate: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x0B, immediate ? 0x01 : 0, 0] + BigEndian.bytes(UInt64(proportion), count: 2) + [0])
    }

    /// WRITE FILEMARKS(6) (SSC-4 table 70): IMMED byte 1 bit 0; count bytes 2–4.
    public static func writeFilemarks6(count: UInt32 = 1, immediate: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x10, immediate ? 0x01 : 0]
                        + BigEndian.bytes(UInt64(min(count, 0xFF_FFFF)), count: 3) + [0])
    }

    /// SPACE(6) (SSC-4 table 43): code byte 1 bits 3–0; count bytes 2–4, a 24-bit two's
    /// complement number (negative spaces toward BOP). Count is clamped to ±2^23.
    public static func space6(code: SpaceCode, count: Int32) -> SCSICommand {
        let clamped = max(-0x80_0000, min(Int64(count), 0x7F_FFFF))
        return SCSICommand(cdb: [0x11, code.rawValue]
                                + BigEndian.bytes(UInt64(bitPattern: clamped), count: 3) + [0])
    }

    /// SPACE(16) (SSC-4 table 45): code byte 1 bits 3–0; count bytes 4–11 (64-bit two's
    /// complement); parameter length bytes 12–13 (zero).
    public static func space16(code: SpaceCode, count: Int64) -> SCSICommand {
        SCSICommand(cdb: [0x91, code.rawValue, 0, 0]
                        + BigEndian.bytes(UInt64(bitPattern: count), count: 8) + [0, 0, 0, 0])
    }

    /// VERIFY(6) (SSC-4 table 65): IMMED byte 1 bit 2, BYTCMP bit 1, FIXED bit 0;
    /// verification length bytes 2–4.
    public static func verify6(length: UInt32, fixed: Bool = false, immediate: Bool = false) -> SCSICommand {
        let b1: UInt8 = (immediate ? 0x04 : 0) | (fixed ? 0x01 : 0)
        return SCSICommand(cdb: [0x13, b1] + BigEndian.bytes(UInt64(min(length, 0xFF_FFFF)), count: 3) + [0])
    }

    /// ERASE(6) (SSC-4 table 13): IMMED byte 1 bit 1, LONG bit 0. A short erase only writes
    /// an end-of-data mark, so it gets the rewind timeout instead of the long-erase one.
    public static func erase(long: Bool, immediate: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x19, (immediate ? 0x02 : 0) | (long ? 0x01 : 0), 0, 0, 0, 0],
                    timeout: long ? CommandClass.eraseLong.timeout : CommandClass.rewind.timeout)
    }

    /// LOAD UNLOAD (SSC-4 table 18): IMMED byte 1 bit 0; byte 4 HOLD bit 3, EOT bit 2,
    /// RETEN bit 1, LOAD bit 0.
    public static func loadUnload(load: Bool, immediate: Bool = false, retension: Bool = false,
                                  eot: Bool = false, hold: Bool = false) -> SCSICommand {
        let b4: UInt8 = (hold ? 0x08 : 0) | (eot ? 0x04 : 0) | (retension ? 0x02 : 0) | (load ? 0x01 : 0)
        return SCSICommand(cdb: [0x1B, immediate ? 0x01 : 0, 0, 0, b4, 0],
                           timeout: CommandClass.loadUnload.timeout)
    }

    /// LOCATE(10) (SSC-4 table 21): BT byte 1 bit 2 (zero: logical object identifiers),
    /// CP bit 1, IMMED bit 0; logical object identifier bytes 3–6; partition byte 8.
    public static func locate10(partition: UInt8 = 0, block: UInt32, changePartition: Bool = false,
                                immediate: Bool = false) -> SCSICommand {
        let b1: UInt8 = (changePartition ? 0x02 : 0) | (immediate ? 0x01 : 0)
        return SCSICommand(cdb: [0x2B, b1, 0] + BigEndian.bytes(UInt64(block), count: 4)
                                + [0, changePartition ? partition : 0, 0],
                           timeout: CommandClass.locate.timeout)
    }

    /// LOCATE(16) (SSC-4 table 23): DEST_TYPE byte 1 bits 5–3, CP bit 1, IMMED bit 0;
    /// partition byte 3; logical identifier bytes 4–11.
    public static func locate16(partition: UInt8 = 0, block: UInt64, changePartition: Bool = false,
                                immediate: Bool = false,
                                destination: LocateDestination = .logicalObject) -> SCSICommand {
        let b1: UInt8 = destination.rawValue << 3 | (changePartition ? 0x02 : 0) | (immediate ? 0x01 : 0)
        return SCSICommand(cdb: [0x92, b1, 0, changePartition ? partition : 0]
                                + BigEndian.bytes(block, count: 8) + [0, 0, 0, 0])
    }

    /// READ POSITION (SSC-4 table 32): service action byte 1 bits 4–0; allocation length
    /// bytes 7–8, which must be zero for the short and long forms.
    public static func readPosition(serviceAction: ReadPositionServiceAction = .shortForm,
                                    allocationLength: UInt16 = 32) -> SCSICommand {
        let field: UInt16 = serviceAction == .extendedForm ? allocationLength : 0
        let buffer = serviceAction == .extendedForm ? Int(allocationLength) : serviceAction.responseLength
        return SCSICommand(cdb: [0x34, serviceAction.rawValue, 0, 0, 0, 0, 0]
                                + BigEndian.bytes(UInt64(field), count: 2) + [0],
                           transfer: .fromDevice(allocationLength: buffer))
    }

    /// REPORT DENSITY SUPPORT (SSC-4 table 38): MEDIUM TYPE byte 1 bit 1, MEDIA bit 0
    /// (report what the mounted medium supports); allocation length bytes 7–8.
    public static func reportDensitySupport(media: Bool = false, mediumType: Bool = false,
                                            allocationLength: UInt16 = 0x2000) -> SCSICommand {
        SCSICommand(cdb: [0x44, (mediumType ? 0x02 : 0) | (media ? 0x01 : 0), 0, 0, 0, 0, 0]
                        + BigEndian.bytes(UInt64(allocationLength), count: 2) + [0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }
}
