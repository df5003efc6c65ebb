import SCSI

/// Why a file could not be added to an LTFS volume.
public enum LTFSAppendError: Error, Sendable, CustomStringConvertible {
    /// The check found a volume a writer must not add to (inconsistent, not LTFS, blank).
    case notAppendable(verdict: LTFSVerdict, problems: [String])
    /// The newest index could not be read back whole.
    case indexUnreadable(String)
    case device(step: String, error: String)
    case command(step: String, error: SCSIError)

    public var description: String {
        switch self {
        case .notAppendable(let verdict, let problems):
            return "the cartridge is not an LTFS volume tapelib can add to (check: \(verdict.rawValue)"
                + (problems.isEmpty ? ")" : "; " + problems.joined(separator: "; ") + ")")
        case .indexUnreadable(let why): return "the volume's newest index cannot be read: \(why)"
        case .device(let step, let error): return "\(step) failed: \(error)"
        case .command(let step, let error):
            let text = error.description
            return text.hasPrefix(step + " failed") ? text : "\(step) failed: \(text)"
        }
    }

    /// The drive's sense, when a command failed with one.
    public var scsiError: SCSIError? {
        if case .command(_, let error) = self { return error }
        return nil
    }
}

/// Adds files to an LTFS volume as the LTFS Format Specification 2.4 has a writer do it: the
/// file's data as blocks on the data partition at end of data, then a filemark, a new index
/// generation (the file in the root directory, `previousgenerationlocation` the data
/// partition's last index) and a filemark; the volume coherency attribute of the data
/// partition follows the new index. `writeIndexPartition` then puts the same generation on the
/// index partition (at a/5, over the one there, as the reference does) with its coherency
/// attribute, after which a check finds the volume consistent.
///
/// The caller writes the data blocks itself (through its own pipeline) between `appendPoint`
/// and `commit`; the appender writes only labels of the format: indexes, filemarks, attributes.
public struct LTFSVolumeAppender<Device: LTFSTapeDevice>: Sendable {
    public let device: Device
    /// What the check found when the volume was opened (consistent, or recoverable: unflushed
    /// data after the last index or a stale index partition, which the next generation repairs).
    public let openedWith: LTFSCheckReport
    public let blockSize: Int
    public let volumeUUID: String
    /// The newest index, with the root's contents.
    public private(set) var index: LTFSIndex
    /// Where the data partition's newest index is.
    public private(set) var dataIndexLocation: LTFSIndexLocation

    public static var dataPartition: UInt8 { LTFSVolumeLayout.dataPartition }
    public static var indexPartition: UInt8 { LTFSVolumeLayout.indexPartition }

    /// Reads and checks the volume (read-only) and its newest index.
    public static func open(_ device: Device) async throws(LTFSAppendError) -> LTFSVolumeAppender {
        let reading = await LTFSVolumeReader().read(device)
        let report = LTFSConsistencyCheck.evaluate(reading)
        guard report.verdict == .consistent || report.verdict == .recoverable, let volume = report.volume else {
            throw .notAppendable(verdict: report.verdict, problems: report.problems)
        }
        func index(on partition: UInt8) -> LTFSIndex? {
            guard let construct = reading.partitions.first(where: { $0.partition == partition })?.lastIndex else { return nil }
            var bytes: [UInt8] = []
            for record in construct.records {
                guard case .value(.record(let data)) = record else { return nil }
                bytes += data
            }
            return try? LTFSIndex.decode(bytes, keepingContents: true)
        }
        guard let data = index(on: dataPartition) else {
            throw .indexUnreadable("the data partition's last index construct does not parse")
        }
        var newest = data
        if let onIndexPartition = index(on: indexPartition), onIndexPartition.generation > data.generation {
            newest = onIndexPartition
        }
        guard newest.volumeUUID == volume.volumeUUID else {
            throw .indexUnreadable("the index's volume UUID \(newest.volumeUUID) is not the label's \(volume.volumeUUID)")
        }
        // A locked volume is not changed (LTFS 2.4 volumelockstate).
        guard newest.volumeLockState == "unlocked" else {
            throw .notAppendable(verdict: report.verdict, problems: ["the volume is \(newest.volumeLockState)"])
        }
        // Files another writer placed on the index partition (dataplacementpolicy) would be
        // overwritten by the index this writer puts at a/5: such a volume is not written.
        if newest.rootContents.contains(where: Self.hasIndexPartitionExtent) {
            throw .notAppendable(verdict: report.verdict, problems: ["files have data on the index partition, which this writer rewrites"])
        }
        return LTFSVolumeAppender(device: device, openedWith: report, blockSize: volume.blockSize, volumeUUID: volume.volumeUUID,
                                  index: newest, dataIndexLocation: data.location)
    }

    /// Whether an entry (a file, or a directory's entries) has an extent on partition a.
    static func hasIndexPartitionExtent(_ element: LTFSXMLElement) -> Bool {
        if element.name == "extent" { return element.child("partition")?.text.trimmingSpaces == "a" }
        return element.children.contains(where: hasIndexPartitionExtent)
    }

    /// Positions at end of data of the data partition, where a file's blocks go; returns that block.
    public func appendPoint() async throws(LTFSAppendError) -> UInt64 {
        try await step("SPACE to end of data of partition b") { try await device.locateToEndOfData(partition: Self.dataPartition) }
    }

    /// The next file's uid.
    public var nextFileUID: UInt64 { max(index.highestFileUID, index.rootFileUID) + 1 }

    /// Closes the data just written (the device is positioned after its last block, block
    /// `nextBlock`): filemark, the new generation with `file` in the root directory, filemark,
    /// and the data partition's coherency attribute. Returns the new index.
    @discardableResult
    public mutating func commit(_ file: LTFSFile, nextBlock: UInt64, at time: LTFSTimestamp = .now()) async throws(LTFSAppendError) -> LTFSIndex {
        try await step("WRITE FILEMARKS before the index") { try await device.writeFilemarks(1) }
        var next = index
        next.place(file)
        next.generation = index.generation + 1
        next.updateTime = time
        next.location = LTFSIndexLocation(partition: "b", startBlock: nextBlock + 1)
        next.previousGenerationLocation = dataIndexLocation
        try await writeIndexRecords(next, on: "b")
        index = next
        dataIndexLocation = next.location
        try await writeCoherency(partition: Self.dataPartition, index: next)
        return next
    }

    /// Writes the newest generation to the index partition at a/5 (over the index there), whose
    /// previous-generation location is the data partition's copy, and its coherency attribute.
    public func writeIndexPartition() async throws(LTFSAppendError) {
        var copy = index
        copy.location = LTFSIndexLocation(partition: "a", startBlock: LTFSVolumeLayout.firstIndexBlock)
        copy.previousGenerationLocation = dataIndexLocation
        try await step("LOCATE to a/\(LTFSVolumeLayout.firstIndexBlock)") {
            try await device.locate(partition: Self.indexPartition, block: LTFSVolumeLayout.firstIndexBlock)
        }
        try await writeIndexRecords(copy, on: "a")
        try await writeCoherency(partition: Self.indexPartition, index: copy)
    }

    private func writeIndexRecords(_ index: LTFSIndex, on letter: Character) async throws(LTFSAppendError) {
        let xml = index.encoded()
        var offset = 0
        repeat {
            let end = min(offset + blockSize, xml.count)
            let record = Array(xml[offset..<end])
            try await step("WRITE of the index on partition \(letter)") { try await device.writeRecord(record) }
            offset = end
        } while offset < xml.count
        try await step("WRITE FILEMARKS after the index on partition \(letter)") { try await device.writeFilemarks(1) }
    }

    /// Attribute 080Ch of a partition, when the drive reports a volume change reference (as the
    /// format writes it).
    private func writeCoherency(partition: UInt8, index: LTFSIndex) async throws(LTFSAppendError) {
        let vcr = try await step("READ ATTRIBUTE 0009h") {
            try await device.readAttribute(MAMAttributeID.volumeChangeReference, partition: 0)
        }
        guard let value = vcr?.integerValue, value != 0, value != 0xFFFF_FFFF, value != UInt64.max else { return }
        let attribute = VolumeCoherency(volumeChangeReference: value, generation: index.generation,
                                        indexStartBlock: index.location.startBlock, volumeUUID: volumeUUID).attribute
        try await step("WRITE ATTRIBUTE 080Ch of partition \(partition)") { try await device.writeAttribute(attribute, partition: partition) }
    }

    private func step<T>(_ name: String, _ body: () async throws -> T) async throws(LTFSAppendError) -> T {
        try await ltfsStep(name, as: LTFSAppendError.self, body)
    }
}
