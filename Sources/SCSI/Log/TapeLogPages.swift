/// Sequential-Access Device log page 0Ch (SSC-4 table 121).
public struct SequentialAccessLog: Sendable, Hashable {
    public static let code: UInt8 = 0x0C
    /// 0000h data bytes received with WRITE commands (from the host).
    public var bytesReceivedFromHost: UInt64?
    /// 0001h data bytes written to the medium (after compression).
    public var bytesWrittenToMedium: UInt64?
    /// 0002h data bytes read from the medium.
    public var bytesReadFromMedium: UInt64?
    /// 0003h data bytes transferred by READ commands (to the host).
    public var bytesSentToHost: UInt64?
    /// 0004h native capacity from BOP to EOD (MB).
    public var nativeCapacityToEOD: UInt64?
    /// 0005h native capacity from BOP to early warning of the current partition (MB).
    public var nativeCapacityToEarlyWarning: UInt64?
    /// 0007h native capacity from BOP to the current position (MB).
    public var nativeCapacityToPosition: UInt64?
    /// 0100h cleaning required (non-zero).
    public var cleaningRequired: Bool
    public var parameters: [LogParameter]

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        let page = try LogPage(parsing: data, expectedPage: Self.code)
        let t = try LogParameterTable(page)
        bytesReceivedFromHost = t.int(0x0000)
        bytesWrittenToMedium = t.int(0x0001)
        bytesReadFromMedium = t.int(0x0002)
        bytesSentToHost = t.int(0x0003)
        nativeCapacityToEOD = t.int(0x0004)
        nativeCapacityToEarlyWarning = t.int(0x0005)
        nativeCapacityToPosition = t.int(0x0007)
        cleaningRequired = t.flag(0x0100) ?? false
        parameters = try page.parameters()
    }

    /// Compression ratio of the data written (host bytes / medium bytes).
    public var writeCompressionRatio: Double? {
        guard let host = bytesReceivedFromHost, let medium = bytesWrittenToMedium, medium > 0 else { return nil }
        return Double(host) / Double(medium)
    }
}

/// DT Device Status log page 11h (SSC-4 table 125), very high frequency data parameter
/// 0000h (SSC-4 table 127): byte 0 PAMR 80h, HUI 40h, MACC 20h, CMPR 10h, WRTP 08h,
/// CRQST 04h, CRQRD 02h, DINIT 01h; byte 1 INXTN 80h, RAA 20h, MPRSNT 10h, MSTD 04h,
/// MTHRD 02h, MOUNTED 01h; byte 2 DT device activity; byte 3 VS 80h, TDDEC 20h, EPP 10h,
/// ESR 08h, RRQST 04h, INTFC 02h, TAFC 01h.
public struct DTDeviceStatusLog: Sendable, Hashable {
    public static let code: UInt8 = 0x11
    public var veryHighFrequencyData: [UInt8]
    public var parameters: [LogParameter]

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        let page = try LogPage(parsing: data, expectedPage: Self.code)
        parameters = try page.parameters()
        guard let vhf = parameters.first(where: { $0.code == 0x0000 }), vhf.value.count >= 4 else {
            throw SCSIParseError(.invalidField, "DT Device Status log page", offset: 4,
                                 "missing very high frequency data parameter")
        }
        veryHighFrequencyData = vhf.value
    }

    private func bit(_ byte: Int, _ mask: UInt8) -> Bool { veryHighFrequencyData[byte] & mask != 0 }
    public var writeProtected: Bool { bit(0, 0x08) }
    public var cleaningRequested: Bool { bit(0, 0x04) }
    public var cleaningRequired: Bool { bit(0, 0x02) }
    public var initialized: Bool { bit(0, 0x01) }
    public var mediumPresent: Bool { bit(1, 0x10) }
    public var mediumThreaded: Bool { bit(1, 0x02) }
    public var mounted: Bool { bit(1, 0x01) }
    public var inTransition: Bool { bit(1, 0x80) }
    /// DT DEVICE ACTIVITY (SSC-4 table 128): 0 none, 1 cleaning, 2 loading, 3 unloading,
    /// 5 reading, 6 writing, 7 locating, 8 rewinding, 9 erasing, 0Ah formatting, …
    public var activity: UInt8 { veryHighFrequencyData[2] }
    public var tapeAlertStateChanged: Bool { bit(3, 0x01) }
}

/// Volume Statistics log page 17h (SSC-4 table 139), the parameters tapelib uses.
public struct VolumeStatisticsLog: Sendable, Hashable {
    public static let code: UInt8 = 0x17
    /// 0001h page valid / volume mounts.
    public var mounts: UInt64?
    /// 0002h–0003h lifetime datasets written/read; 000Eh–000Fh last-mount MB written/read.
    public var lastMountMBWritten: UInt64?
    public var lastMountMBRead: UInt64?
    /// 0010h–0011h lifetime MB written/read.
    public var lifetimeMBWritten: UInt64?
    public var lifetimeMBRead: UInt64?
    /// 0016h approximate native capacity, 0017h approximate used native capacity (MB).
    public var nativeCapacityMB: UInt64?
    public var usedCapacityMB: UInt64?
    /// 0040h volume serial number (the cartridge's manufacturer serial).
    public var volumeSerial: String?
    /// 0080h write protect, 0081h WORM.
    public var writeProtected: Bool?
    public var worm: Bool?
    /// 0101h beginning-of-medium passes, 0102h middle-of-tape passes.
    public var beginningOfMediumPasses: UInt64?
    public var middleOfTapePasses: UInt64?
    public var parameters: [LogParameter]

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        let page = try LogPage(parsing: data, expectedPage: Self.code)
        let t = try LogParameterTable(page)
        mounts = t.int(0x0001)
        lastMountMBWritten = t.int(0x000E)
        lastMountMBRead = t.int(0x000F)
        lifetimeMBWritten = t.int(0x0010)
        lifetimeMBRead = t.int(0x0011)
        nativeCapacityMB = t.int(0x0016)
        usedCapacityMB = t.int(0x0017)
        volumeSerial = t.byCode[0x0040].map(\.text)
        writeProtected = t.flag(0x0080)
        worm = t.flag(0x0081)
        beginningOfMediumPasses = t.int(0x0101)
        middleOfTapePasses = t.int(0x0102)
        parameters = try page.parameters()
    }
}

/// Tape Capacity log page 31h (LTO vendor page, per partition, in MiB):
/// 0001h/0002h remaining capacity of partition 0/1, 0003h/0004h maximum capacity.
public struct TapeCapacityLog: Sendable, Hashable {
    public static let code: UInt8 = 0x31
    public var remainingMiB: [UInt64?]
    public var maximumMiB: [UInt64?]

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        let t = try LogParameterTable(try LogPage(parsing: data, expectedPage: Self.code))
        remainingMiB = [t.int(0x0001), t.int(0x0002)]
        maximumMiB = [t.int(0x0003), t.int(0x0004)]
    }
}
