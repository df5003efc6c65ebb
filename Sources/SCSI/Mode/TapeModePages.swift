/// Data Compression mode page 0Fh (SSC-4 table 96).
public struct DataCompressionPage: Sendable, Hashable {
    public static let code: UInt8 = 0x0F
    /// DCE: compress data written (byte 2 bit 7).
    public var compressionEnabled: Bool
    /// DCC: the drive can compress (byte 2 bit 6; read-only).
    public var compressionCapable: Bool
    /// DDE: decompress data read (byte 3 bit 7).
    public var decompressionEnabled: Bool
    /// RED: report exception on decompression (byte 3 bits 6–5).
    public var reportExceptionOnDecompression: UInt8
    public var compressionAlgorithm: UInt32
    public var decompressionAlgorithm: UInt32

    public init(compressionEnabled: Bool, compressionCapable: Bool = true, decompressionEnabled: Bool = true,
                reportExceptionOnDecompression: UInt8 = 0, compressionAlgorithm: UInt32 = 1,
                decompressionAlgorithm: UInt32 = 1) {
        self.compressionEnabled = compressionEnabled
        self.compressionCapable = compressionCapable
        self.decompressionEnabled = decompressionEnabled
        self.reportExceptionOnDecompression = reportExceptionOnDecompression
        self.compressionAlgorithm = compressionAlgorithm
        self.decompressionAlgorithm = decompressionAlgorithm
    }

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 10, "Data Compression mode page")
        let b = page.body
        compressionEnabled = b[0] & 0x80 != 0
        compressionCapable = b[0] & 0x40 != 0
        decompressionEnabled = b[1] & 0x80 != 0
        reportExceptionOnDecompression = (b[1] >> 5) & 0x03
        compressionAlgorithm = UInt32(b[2]) << 24 | UInt32(b[3]) << 16 | UInt32(b[4]) << 8 | UInt32(b[5])
        decompressionAlgorithm = UInt32(b[6]) << 24 | UInt32(b[7]) << 16 | UInt32(b[8]) << 8 | UInt32(b[9])
    }

    /// The page for MODE SELECT (page length 0Eh).
    public var page: ModePage {
        let b2: UInt8 = (compressionEnabled ? 0x80 : 0) | (compressionCapable ? 0x40 : 0)
        let b3: UInt8 = (decompressionEnabled ? 0x80 : 0) | (reportExceptionOnDecompression & 0x03) << 5
        return ModePage(code: Self.code, body: [b2, b3]
            + BigEndian.bytes(UInt64(compressionAlgorithm), count: 4)
            + BigEndian.bytes(UInt64(decompressionAlgorithm), count: 4) + [0, 0, 0, 0])
    }
}

/// Device Configuration mode page 10h (SSC-4 table 98).
public struct DeviceConfigurationPage: Sendable, Hashable {
    public static let code: UInt8 = 0x10
    /// ACTIVE FORMAT (byte 2 bits 4–0).
    public var activeFormat: UInt8
    /// ACTIVE PARTITION (byte 3).
    public var activePartition: UInt8
    /// WRITE DELAY TIME in 100 ms units (bytes 6–7).
    public var writeDelayTime: UInt16
    /// Byte 8: OBR 80h, LOIS 40h, RSMK 20h, AVC 10h, SOCF 0Ch, ROBO 02h, REW 01h.
    public var flags8: UInt8
    /// EOD DEFINED (byte 10 bits 7–5).
    public var endOfDataDefined: UInt8
    /// EEG: enable EOD generation (byte 10 bit 4).
    public var enableEODGeneration: Bool
    /// SEW: synchronize at early warning (byte 10 bit 3).
    public var synchronizeAtEarlyWarning: Bool
    /// BUFFER SIZE AT EARLY WARNING (bytes 11–13).
    public var bufferSizeAtEarlyWarning: UInt32
    /// SELECT DATA COMPRESSION ALGORITHM (byte 14): 0 none, 1 default.
    public var selectDataCompressionAlgorithm: UInt8
    /// All page bytes after the header, to write back unchanged fields.
    public var body: [UInt8]

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 13, "Device Configuration mode page")
        let b = page.body
        activeFormat = b[0] & 0x1F
        activePartition = b[1]
        writeDelayTime = UInt16(b[4]) << 8 | UInt16(b[5])
        flags8 = b[6]
        endOfDataDefined = b[8] >> 5
        enableEODGeneration = b[8] & 0x10 != 0
        synchronizeAtEarlyWarning = b[8] & 0x08 != 0
        bufferSizeAtEarlyWarning = UInt32(b[9]) << 16 | UInt32(b[10]) << 8 | UInt32(b[11])
        selectDataCompressionAlgorithm = b[12]
        body = b
    }

    /// RSMK: report setmarks (byte 8 bit 5).
    public var reportSetmarks: Bool { flags8 & 0x20 != 0 }
}

/// Medium Partition mode page 11h (SSC-4 table 101).
public struct MediumPartitionPage: Sendable, Hashable {
    public static let code: UInt8 = 0x11

    /// PSUM: unit of the partition size fields (SSC-4 table 102).
    public enum SizeUnit: UInt8, Sendable, Hashable {
        case bytes = 0, kilobytes = 1, megabytes = 2
        /// 10^PARTITION UNITS bytes.
        case powerOfTen = 3
    }

    /// MAXIMUM ADDITIONAL PARTITIONS (byte 2; read-only).
    public var maximumAdditionalPartitions: UInt8
    /// ADDITIONAL PARTITIONS DEFINED (byte 3): partitions beyond partition 0.
    public var additionalPartitionsDefined: UInt8
    /// FDP: fixed data partitions (byte 4 bit 7).
    public var fixedDataPartitions: Bool
    /// SDP: select data partitions, device chooses sizes (bit 6).
    public var selectDataPartitions: Bool
    /// IDP: initiator defined partitions, sizes from the size fields (bit 5).
    public var initiatorDefinedPartitions: Bool
    /// PSUM (bits 4–3).
    public var sizeUnit: SizeUnit
    /// POFM: partition on format — apply the page at the next FORMAT MEDIUM (bit 2).
    public var partitionOnFormat: Bool
    /// CLEAR (bit 1) and ADDP (bit 0).
    public var clear: Bool
    public var addPartitions: Bool
    /// MEDIUM FORMAT RECOGNITION (byte 5; read-only).
    public var mediumFormatRecognition: UInt8
    /// Byte 6 bits 7–4 (PARTITIONING TYPE in SSC-5, reserved in SSC-4).
    public var partitioningType: UInt8
    /// PARTITION UNITS (byte 6 bits 3–0): exponent when `sizeUnit` is `.powerOfTen`.
    public var partitionUnits: UInt8
    /// PARTITION SIZE fields (bytes 8…, 2 bytes each); FFFFh = remaining capacity.
    public var partitionSizes: [UInt16]

    public init(additionalPartitionsDefined: UInt8, fixedDataPartitions: Bool = false,
                selectDataPartitions: Bool = false, initiatorDefinedPartitions: Bool = true,
                sizeUnit: SizeUnit = .powerOfTen, partitionOnFormat: Bool = true,
                partitionUnits: UInt8 = 9, partitionSizes: [UInt16],
                maximumAdditionalPartitions: UInt8 = 0, mediumFormatRecognition: UInt8 = 0) {
        self.maximumAdditionalPartitions = maximumAdditionalPartitions
        self.additionalPartitionsDefined = additionalPartitionsDefined
        self.fixedDataPartitions = fixedDataPartitions
        self.selectDataPartitions = selectDataPartitions
        self.initiatorDefinedPartitions = initiatorDefinedPartitions
        self.sizeUnit = sizeUnit
        self.partitionOnFormat = partitionOnFormat
        self.clear = false
        self.addPartitions = false
        self.mediumFormatRecognition = mediumFormatRecognition
        self.partitioningType = 0
        self.partitionUnits = partitionUnits
        self.partitionSizes = partitionSizes
    }

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 6, "Medium Partition mode page")
        let b = page.body
        maximumAdditionalPartitions = b[0]
        additionalPartitionsDefined = b[1]
        fixedDataPartitions = b[2] & 0x80 != 0
        selectDataPartitions = b[2] & 0x40 != 0
        initiatorDefinedPartitions = b[2] & 0x20 != 0
        sizeUnit = SizeUnit(rawValue: (b[2] >> 3) & 0x03) ?? .bytes
        partitionOnFormat = b[2] & 0x04 != 0
        clear = b[2] & 0x02 != 0
        addPartitions = b[2] & 0x01 != 0
        mediumFormatRecognition = b[3]
        partitioningType = b[4] >> 4
        partitionUnits = b[4] & 0x0F
        var sizes: [UInt16] = []
        var i = 6
        while i + 1 < b.count {
            sizes.append(UInt16(b[i]) << 8 | UInt16(b[i + 1]))
            i += 2
        }
        partitionSizes = sizes
    }

    /// Size of partition `index` in bytes, when the unit and field make that meaningful
    /// (nil for FFFFh "rest of the medium" or a missing field).
    public func partitionSizeBytes(_ index: Int) -> UInt64? {
        guard partitionSizes.indices.contains(index), partitionSizes[index] != 0xFFFF else { return nil }
        let v = UInt64(partitionSizes[index])
        switch sizeUnit {
        case .bytes: return v
        case .kilobytes: return v * 1_000
        case .megabytes: return v * 1_000_000
        case .powerOfTen:
            guard partitionUnits <= 15 else { return nil }
            var scale: UInt64 = 1
            for _ in 0..<partitionUnits { scale *= 10 }
            return v.multipliedReportingOverflow(by: scale).overflow ? nil : v * scale
        }
    }

    /// The page for MODE SELECT (page length 6 + 2 × partition count).
    public var page: ModePage {
        var b4: UInt8 = (fixedDataPartitions ? 0x80 : 0) | (selectDataPartitions ? 0x40 : 0)
        b4 |= (initiatorDefinedPartitions ? 0x20 : 0) | sizeUnit.rawValue << 3
        b4 |= (partitionOnFormat ? 0x04 : 0) | (clear ? 0x02 : 0) | (addPartitions ? 0x01 : 0)
        return ModePage(code: Self.code, body: [maximumAdditionalPartitions, additionalPartitionsDefined, b4,
                                                mediumFormatRecognition,
                                                partitioningType << 4 | partitionUnits & 0x0F, 0]
                                               + partitionSizes.flatMap { BigEndian.bytes(UInt64($0), count: 2) })
    }
}

/// Medium Configuration mode page 1Dh of a tape drive (SSC-4 table 104).
public struct MediumConfigurationPage: Sendable, Hashable {
    public static let code: UInt8 = 0x1D
    /// WORMM: the mounted medium is WORM (byte 2 bit 0).
    public var wormMode: Bool
    /// WORM MODE LABEL RESTRICTIONS (byte 4) and FILEMARK RESTRICTIONS (byte 5).
    public var wormModeLabelRestrictions: UInt8
    public var wormModeFilemarkRestrictions: UInt8

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 4, "Medium Configuration mode page")
        wormMode = page.body[0] & 0x01 != 0
        wormModeLabelRestrictions = page.body[2]
        wormModeFilemarkRestrictions = page.body[3]
    }
}
