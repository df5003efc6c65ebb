import SCSI
import Foundation

/// What a format did.
public struct LTFSFormatResult: Sendable, Hashable {
    public var volumeUUID: String
    public var barcode: String?
    public var volumeName: String?
    public var blockSize: Int
    public var compression: Bool
    public var formatTime: LTFSTimestamp
    /// Whether the volume coherency attributes were written (see `LTFSVolumeLayout`).
    public var wroteCoherencyAttributes: Bool
    /// Steps the device could not do that a format may skip (SET CAPACITY).
    public var notes: [String]
}

/// Formats a cartridge as the LTFS reference formatter (mkltfs) does, through any
/// `LTFSTapeDevice`.
public struct LTFSFormatter: Sendable {
    public var options: LTFSFormatOptions
    public var identity: LTFSCreatorIdentity

    public init(options: LTFSFormatOptions, identity: LTFSCreatorIdentity = .tapelib) {
        self.options = options
        self.identity = identity
    }

    public func format(_ device: some LTFSTapeDevice) async throws(LTFSFormatError) -> LTFSFormatResult {
        try options.validate()
        var notes: [String] = []
        try await step("LOAD") { try await device.load() }
        let info = try await step("reading the cartridge's type") { try await device.cartridgeInfo() }
        guard let generation = info.generation else { throw .unknownGeneration }
        guard generation >= 5 else { throw .unsupportedGeneration(generation) }
        guard !info.isWORM else { throw .wormMedium }
        guard !info.isWriteProtected else { throw .writeProtected }
        let barcode = options.barcode ?? info.barcode.flatMap { $0.isEmpty ? nil : $0 }

        let formatTime = LTFSTimestamp.now()
        let layout = try LTFSVolumeLayout(options: options, barcode: barcode,
                                          volumeUUID: UUID().uuidString.lowercased(),
                                          formatTime: formatTime, updateTime: LTFSTimestamp.now(),
                                          identity: identity)
        if !options.force, let what = try await existingData(on: device) {
            throw .cartridgeHoldsData(what)
        }

        do {
            try await device.setCapacityToFull()
        } catch {
            notes.append("SET CAPACITY was not done: \(error)")
        }
        let sensed = try await step("MODE SENSE medium partition page") {
            try await device.modeSensePage(LTFSModePages.mediumPartitionPageCode)
        }
        let partitionPage = try LTFSModePages.twoPartitionPage(from: sensed)
        do {
            try await device.modeSelectPage(partitionPage)
        } catch {
            throw .partitioningRefused("MODE SELECT failed: \(error)")
        }
        try await step("FORMAT MEDIUM") { try await device.formatMedium(0x01) }
        let capacities = try await step("reading partition capacities") { try await device.partitionCapacities() }
        let partitions = capacities.filter { $0.maximum > 0 }.count
        guard partitions >= 2 else { throw .partitioningIncomplete(partitions: partitions) }

        let compression = try await step("MODE SENSE data compression page") {
            try await device.modeSensePage(LTFSModePages.dataCompressionPageCode)
        }
        let compressionPage = try LTFSModePages.compressionPage(from: compression, enabled: options.compression)
        try await step("MODE SELECT data compression page") { try await device.modeSelectPage(compressionPage) }

        for (partition, writes) in layout.partitionWrites {
            let letter = partition == 0 ? "a" : "b"
            try await step("LOCATE to partition \(letter)") { try await device.locate(partition: partition, block: 0) }
            for write in writes {
                switch write {
                case .record(let bytes):
                    try await step("WRITE on partition \(letter)") { try await device.writeRecord(bytes) }
                case .filemarks(let count):
                    try await step("WRITE FILEMARKS on partition \(letter)") { try await device.writeFilemarks(count) }
                }
            }
        }

        for attribute in layout.attributes {
            try await step(String(format: "WRITE ATTRIBUTE %04Xh", attribute.id)) {
                try await device.writeAttribute(attribute, partition: 0)
            }
        }
        let vcr = try await step("READ ATTRIBUTE 0009h") {
            try await device.readAttribute(MAMAttributeID.volumeChangeReference, partition: 0)
        }
        var wroteCoherency = false
        if let vcrValue = vcr?.integerValue, let coherency = layout.coherencyAttributes(volumeChangeReference: vcrValue) {
            for (partition, attribute) in coherency {
                try await step("WRITE ATTRIBUTE 080Ch of partition \(partition)") {
                    try await device.writeAttribute(attribute, partition: partition)
                }
            }
            wroteCoherency = true
        } else {
            notes.append("volume coherency attributes not written: the drive's volume change reference is unknown")
        }
        return LTFSFormatResult(volumeUUID: layout.label.volumeUUID, barcode: barcode,
                                volumeName: options.volumeName, blockSize: options.blockSize,
                                compression: options.compression, formatTime: formatTime,
                                wroteCoherencyAttributes: wroteCoherency, notes: notes)
    }

    /// What the cartridge already holds, or nil when every partition starts at end of data.
    func existingData(on device: some LTFSTapeDevice) async throws(LTFSFormatError) -> String? {
        let capacities = try await step("reading partition capacities") { try await device.partitionCapacities() }
        for capacity in capacities where capacity.maximum > 0 {
            try await step("LOCATE to partition \(capacity.partition)") {
                try await device.locate(partition: capacity.partition, block: 0)
            }
            let first: TapeRead
            do {
                first = try await device.readRecord(maxLength: 4096)
            } catch {
                // Unreadable is not blank: what is there may matter, so formatting needs force.
                return "partition \(capacity.partition) could not be read (\(error))"
            }
            switch first {
            case .endOfData:
                continue
            case .filemark:
                return "partition \(capacity.partition) starts with a filemark"
            case .record(let bytes):
                if let vol1 = try? VOL1Label.decode(bytes), vol1.isLTFS {
                    return "partition \(capacity.partition) holds an LTFS volume"
                        + (vol1.volumeSerial.isEmpty ? "" : " with volume serial \(vol1.volumeSerial)")
                }
                return "partition \(capacity.partition) holds records"
            }
        }
        return nil
    }

    private func step<T>(_ name: String, _ body: () async throws -> T) async throws(LTFSFormatError) -> T {
        try await ltfsStep(name, as: LTFSFormatError.self, body)
    }
}
