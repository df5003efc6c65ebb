/// The outcome of one device operation during a check: a value, or the device's error text.
public enum Observed<Value: Sendable & Hashable>: Sendable, Hashable {
    case value(Value)
    case failed(String)

    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }
}

/// Everything a check read from one partition, before any judgement.
public struct PartitionReading: Sendable, Hashable {
    public var partition: UInt8
    /// Blocks 0, 1, 2, 3 read in sequence from the beginning of the partition; the list stops
    /// early at end of data or at a failed read.
    public var labelBlocks: [Observed<TapeRead>]
    public var endOfDataStatus: Observed<EndOfDataStatus>
    /// End of data's block number; nil when not looked for (end of data reported missing).
    public var endOfData: Observed<UInt64>?
    /// The newest index construct, found from end of data back over filemarks; nil when not
    /// looked for.
    public var lastIndex: IndexConstructReading?

    public init(partition: UInt8, labelBlocks: [Observed<TapeRead>], endOfDataStatus: Observed<EndOfDataStatus>,
                endOfData: Observed<UInt64>? = nil, lastIndex: IndexConstructReading? = nil) {
        self.partition = partition
        self.labelBlocks = labelBlocks
        self.endOfDataStatus = endOfDataStatus
        self.endOfData = endOfData
        self.lastIndex = lastIndex
    }
}

/// The index construct nearest end of data: `filemark, index records…, filemark`.
public struct IndexConstructReading: Sendable, Hashable {
    /// The block of the last filemark before end of data (nil: none at all).
    public var trailingFilemark: Observed<UInt64?>
    /// Blocks between that filemark and end of data: data written after the last index.
    public var blocksAfterIndex: UInt64
    /// Whether the block before end of data is a filemark (data after the index already closed).
    public var endsWithFilemark: Bool = false
    /// The filemark before the trailing one (the index starts after it).
    public var leadingFilemark: Observed<UInt64?>?
    /// The index's records, in order.
    public var records: [Observed<TapeRead>]

    public init(trailingFilemark: Observed<UInt64?>, blocksAfterIndex: UInt64,
                leadingFilemark: Observed<UInt64?>? = nil, records: [Observed<TapeRead>] = []) {
        self.trailingFilemark = trailingFilemark
        self.blocksAfterIndex = blocksAfterIndex
        self.leadingFilemark = leadingFilemark
        self.records = records
    }

    /// Where the index starts: the block after the leading filemark.
    public var startBlock: UInt64? {
        guard case .value(let fm)? = leadingFilemark, let fm else { return nil }
        return fm + 1
    }
}

/// Everything a check read from a cartridge.
public struct VolumeReading: Sendable, Hashable {
    public var cartridge: Observed<LTFSCartridgeInfo>
    public var capacities: Observed<[PartitionCapacity]>
    /// Partitions 0 and 1 as far as they exist.
    public var partitions: [PartitionReading]
    /// MAM 0009h of partition 0; nil when the drive does not report it.
    public var volumeChangeReference: Observed<MAMAttribute?>
    /// MAM 080Ch per partition number.
    public var coherency: [UInt8: Observed<MAMAttribute?>]
    /// MAM 0803h (volume name) and 0806h (barcode) of partition 0.
    public var mamVolumeName: Observed<MAMAttribute?>
    public var mamBarcode: Observed<MAMAttribute?>

    public init(cartridge: Observed<LTFSCartridgeInfo>, capacities: Observed<[PartitionCapacity]>,
                partitions: [PartitionReading] = [], volumeChangeReference: Observed<MAMAttribute?> = .value(nil),
                coherency: [UInt8: Observed<MAMAttribute?>] = [:], mamVolumeName: Observed<MAMAttribute?> = .value(nil),
                mamBarcode: Observed<MAMAttribute?> = .value(nil)) {
        self.cartridge = cartridge
        self.capacities = capacities
        self.partitions = partitions
        self.volumeChangeReference = volumeChangeReference
        self.coherency = coherency
        self.mamVolumeName = mamVolumeName
        self.mamBarcode = mamBarcode
    }
}
