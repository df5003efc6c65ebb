import SCSI

/// A drive's state as `tapelib drive status` shows it.
public struct DriveStatus: Sendable, Codable, Equatable {
    public var vendor: String
    public var product: String
    public var revision: String
    public var serial: String?
    public var readiness: String
    public var mediumLoaded: Bool
    public var barcode: String?
    public var densityCode: UInt8?
    public var mediumGeneration: String?
    public var blockSize: UInt32?
    public var writeProtected: Bool?
    public var worm: Bool?
    public var compression: Bool?
    public var partition: UInt32?
    public var block: UInt64?
    public var beginningOfPartition: Bool?
    public var tapeAlerts: [TapeAlertEntry]
    public var volumeStatistics: VolumeStatistics?
}

public struct TapeAlertEntry: Sendable, Codable, Equatable {
    public var flag: UInt8
    public var name: String
    public var severity: String
}

public struct VolumeStatistics: Sendable, Codable, Equatable {
    public var mounts: UInt64?
    public var lifetimeMBWritten: UInt64?
    public var lifetimeMBRead: UInt64?
    public var lastMountMBWritten: UInt64?
    public var lastMountMBRead: UInt64?
    public var nativeCapacityMB: UInt64?
    public var usedCapacityMB: UInt64?
    public var volumeSerial: String?

    public init(_ log: VolumeStatisticsLog) {
        mounts = log.mounts
        lifetimeMBWritten = log.lifetimeMBWritten
        lifetimeMBRead = log.lifetimeMBRead
        lastMountMBWritten = log.lastMountMBWritten
        lastMountMBRead = log.lastMountMBRead
        nativeCapacityMB = log.nativeCapacityMB
        usedCapacityMB = log.usedCapacityMB
        volumeSerial = log.volumeSerial
    }
}

extension TapeDrive {
    /// READ POSITION: long form (06h) for partition and block, falling back to the short form.
    public func position() async throws(SCSIError) -> TapePosition {
        do {
            return try await runner.run(.readPosition(serviceAction: .longForm)) { (d) throws(SCSIParseError) in
                try TapePosition(parsing: d, serviceAction: .longForm)
            }
        } catch where error.matches(.illegalRequest) {
            return try await runner.run(.readPosition(serviceAction: .shortForm)) { (d) throws(SCSIParseError) in
                try TapePosition(parsing: d, serviceAction: .shortForm)
            }
        }
    }

    /// MODE SENSE of one page (and the header and block descriptor). Tries MODE SENSE(10)
    /// first and falls back to MODE SENSE(6) when a device refuses it with 05h/20h/00h
    /// (scsi-reference.md, mode pages).
    public func modeSense(page: UInt8) async throws(SCSIError) -> ModeParameters {
        do {
            return try await runner.run(.modeSense10(page: page)) { (d) throws(SCSIParseError) in
                try ModeParameters(parsing10: d)
            }
        } catch where error.matches(.illegalRequest, .invalidOperationCode) {
            return try await runner.run(.modeSense6(page: page)) { (d) throws(SCSIParseError) in
                try ModeParameters(parsing6: d)
            }
        }
    }

    /// MODE SELECT of parameters obtained from `modeSense`, with the same command size.
    public func modeSelect(_ parameters: ModeParameters) async throws(SCSIError) {
        do {
            _ = try await runner.run(.modeSelect10(parameters: parameters.modeSelect10List()))
        } catch where error.matches(.illegalRequest, .invalidOperationCode) {
            _ = try await runner.run(.modeSelect6(parameters: parameters.modeSelect6List()))
        }
    }

    /// TapeAlert flags. Reads the TapeAlert response page 12h when supported (reading it
    /// does not clear the flags), else page 2Eh (which clears them).
    public func tapeAlerts() async throws(SCSIError) -> TapeAlertFlags {
        let supported = (try? await supportedLogPages()) ?? []
        if supported.contains(0x12) {
            return try await runner.run(.logSense(page: 0x12)) { (d) throws(SCSIParseError) in
                try TapeAlertFlags(parsingTapeAlertResponseLog: d)
            }
        }
        return try await runner.run(.logSense(page: 0x2E)) { (d) throws(SCSIParseError) in
            try TapeAlertFlags(parsingTapeAlertLog: d)
        }
    }

    public func supportedLogPages() async throws(SCSIError) -> [UInt8] {
        try await runner.run(.logSense(page: 0x00)) { (d) throws(SCSIParseError) in
            try SupportedLogPages(parsing: d).pages
        }
    }

    /// Volume statistics (log page 17h).
    public func volumeStatistics() async throws(SCSIError) -> VolumeStatisticsLog {
        try await runner.run(.logSense(page: 0x17)) { (d) throws(SCSIParseError) in
            try VolumeStatisticsLog(parsing: d)
        }
    }

    /// Tape capacity per partition (log page 31h).
    public func capacity() async throws(SCSIError) -> TapeCapacityLog {
        try await runner.run(.logSense(page: 0x31)) { (d) throws(SCSIParseError) in
            try TapeCapacityLog(parsing: d)
        }
    }

    /// MAM attribute values of a partition (READ ATTRIBUTE service action 00h).
    public func attributes(partition: UInt8 = 0, first: UInt16 = 0) async throws(SCSIError) -> AttributeList {
        try await runner.run(.readAttribute(partition: partition, firstAttribute: first)) {
            (d) throws(SCSIParseError) in try AttributeList(parsing: d)
        }
    }

    public func writeAttributes(_ attributes: [MediumAttribute], partition: UInt8 = 0) async throws(SCSIError) {
        _ = try await runner.run(.writeAttribute(parameters: AttributeList.parameterList(attributes),
                                                 writeThrough: true, partition: partition))
    }

    /// Everything `drive status` shows, tolerating pages a drive does not support.
    public func status() async throws(SCSIError) -> DriveStatus {
        let inquiry = try await inquiry()
        let serial = try? await serialNumber()
        let readiness = try await readiness()
        let loaded: Bool
        switch readiness {
        case .noMedium: loaded = false
        default: loaded = true
        }
        var status = DriveStatus(
            vendor: inquiry.vendor, product: inquiry.product, revision: inquiry.revision,
            serial: serial ?? nil, readiness: readiness.description, mediumLoaded: loaded,
            tapeAlerts: [])
        if let alerts = try? await tapeAlerts() {
            status.tapeAlerts = alerts.flags.map {
                TapeAlertEntry(flag: $0.rawValue, name: $0.name, severity: String($0.severity))
            }
        }
        guard readiness == .ready else { return status }
        if let mode = try? await modeSense(page: 0x0F) {
            status.writeProtected = mode.writeProtected
            if let bd = mode.blockDescriptors.first {
                status.densityCode = bd.densityCode
                status.blockSize = bd.blockLength
                status.mediumGeneration = LTOGeneration(densityCode: bd.densityCode)?.description
            }
            if let page = mode.page(0x0F), let dc = try? DataCompressionPage(page) {
                status.compression = dc.compressionEnabled
            }
        }
        if let position = try? await position() {
            status.partition = position.partition
            status.block = position.blockNumber
            status.beginningOfPartition = position.beginningOfPartition
        }
        if let attributes = try? await attributes() {
            status.barcode = attributes.barcode
        }
        if let stats = try? await volumeStatistics() {
            status.volumeStatistics = VolumeStatistics(stats)
            status.worm = stats.worm
            // MAM barcode (0806h) is written by applications (LTFS); the volume serial of
            // log page 17h is what the drive read from the cartridge.
            if status.barcode == nil, let serial = stats.volumeSerial, !serial.isEmpty { status.barcode = serial }
        }
        return status
    }
}
