/// One thing written to a partition, in order.
public enum TapeWrite: Sendable, Hashable {
    case record([UInt8])
    case filemarks(Int)
}

/// Everything a format puts on a cartridge, computed without a device: the records and
/// filemarks of each partition (LTFS Format Specification 2.4, "Volume layout"; ltfs.md's
/// table) and the MAM attributes. Partition b (SCSI 1) is written first, then partition a.
public struct LTFSVolumeLayout: Sendable, Hashable {
    public static let indexPartition: UInt8 = 0
    public static let dataPartition: UInt8 = 1
    /// Both first indexes start here: VOL1, filemark, label, filemark, filemark.
    public static let firstIndexBlock: UInt64 = 5

    public var label: LTFSLabel
    public var vol1: VOL1Label
    public var dataPartitionIndex: LTFSIndex
    public var indexPartitionIndex: LTFSIndex
    public var barcode: String?
    public var volumeName: String?
    public var mediaPool: String?
    public var identity: LTFSCreatorIdentity

    public init(options: LTFSFormatOptions, barcode: String?, volumeUUID: String,
                formatTime: LTFSTimestamp, updateTime: LTFSTimestamp,
                identity: LTFSCreatorIdentity = .tapelib) throws(LTFSFormatError) {
        try options.validate()
        self.vol1 = try VOL1Label(barcode: barcode)
        self.barcode = barcode
        self.volumeName = options.volumeName
        self.mediaPool = options.mediaPool
        self.identity = identity
        label = LTFSLabel(creator: identity.creator, formatTime: formatTime, volumeUUID: volumeUUID,
                          location: "a", blockSize: options.blockSize, compression: options.compression)
        let dataLocation = LTFSIndexLocation(partition: "b", startBlock: Self.firstIndexBlock)
        dataPartitionIndex = LTFSIndex(
            creator: identity.creator, volumeUUID: volumeUUID, generation: 1, updateTime: updateTime,
            location: dataLocation, previousGenerationLocation: nil,
            dataPlacementPolicy: options.dataPlacementPolicy,
            volumeName: options.volumeName, rootTime: formatTime)
        indexPartitionIndex = dataPartitionIndex
        indexPartitionIndex.location = LTFSIndexLocation(partition: "a", startBlock: Self.firstIndexBlock)
        indexPartitionIndex.previousGenerationLocation = dataLocation
    }

    /// The partitions in the order they are written, with their contents.
    public var partitionWrites: [(partition: UInt8, writes: [TapeWrite])] {
        [(Self.dataPartition, writes(label: "b", index: dataPartitionIndex)),
         (Self.indexPartition, writes(label: "a", index: indexPartitionIndex))]
    }

    func writes(label letter: Character, index: LTFSIndex) -> [TapeWrite] {
        var copy = label
        copy.location = letter
        var out: [TapeWrite] = [.record(vol1.encoded()), .filemarks(1), .record(copy.encoded()), .filemarks(2)]
        let xml = index.encoded()
        var offset = 0
        repeat {
            let end = min(offset + label.blockSize, xml.count)
            out.append(.record(Array(xml[offset..<end])))
            offset = end
        } while offset < xml.count
        out.append(.filemarks(1))
        return out
    }

    /// The MAM attributes written to partition 0, in the order they are written.
    public var attributes: [MAMAttribute] {
        [
            .ascii(MAMAttributeID.applicationVendor, identity.vendor, length: 8),
            .ascii(MAMAttributeID.applicationName, identity.applicationName, length: 32),
            .ascii(MAMAttributeID.applicationVersion, identity.applicationVersion, length: 8),
            .text(MAMAttributeID.userMediumTextLabel, volumeName ?? "", length: 160),
            MAMAttribute(id: MAMAttributeID.textLocalizationIdentifier, format: .binary, value: [0x81]),
            .ascii(MAMAttributeID.barcode, barcode ?? "", length: 32),
            .ascii(MAMAttributeID.applicationFormatVersion, label.version, length: 16),
            .text(MAMAttributeID.mediaPool, mediaPool ?? "", length: 160),
            // Volume lock state: 0 = unlocked (the reference's 1623h, binary, 1 byte).
            MAMAttribute(id: MAMAttributeID.volumeLockState, format: .binary, value: [0]),
        ]
    }

    /// The volume coherency attribute for each partition, given the drive's volume change
    /// reference; nil when the reference is 0 or FFFFFFFFh (unknown), as the reference does.
    public func coherencyAttributes(volumeChangeReference vcr: UInt64) -> [(partition: UInt8, attribute: MAMAttribute)]? {
        guard vcr != 0, vcr != 0xFFFF_FFFF, vcr != UInt64.max else { return nil }
        return [(Self.indexPartition, indexPartitionIndex), (Self.dataPartition, dataPartitionIndex)].map {
            ($0.0, VolumeCoherency(volumeChangeReference: vcr, generation: $0.1.generation,
                                   indexStartBlock: $0.1.location.startBlock,
                                   volumeUUID: label.volumeUUID).attribute)
        }
    }
}
