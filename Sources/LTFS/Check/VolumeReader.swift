/// Reads what a check needs from a cartridge. It only positions and reads: no write,
/// no WRITE ATTRIBUTE, no MODE SELECT — unlike the reference checker, which repairs as it goes.
public struct LTFSVolumeReader: Sendable {
    /// Readers read a label record of at most this many bytes (ltfs.md).
    public static let labelReadLength = 4096
    /// Index records are read with the label's block size; this when no label gave one.
    public static let fallbackRecordLength = LTFSFormatOptions.maximumBlockSize

    public init() {}

    public func read(_ device: some LTFSTapeDevice) async -> VolumeReading {
        do {
            try await device.load()
        } catch {
            return VolumeReading(cartridge: .failed("\(error)"), capacities: .failed("the cartridge is not loaded"))
        }
        // A check does not depend on the cartridge type; a drive that cannot tell does not stop it.
        var info = LTFSCartridgeInfo(generation: nil)
        if let known = try? await device.cartridgeInfo() { info = known }
        let cartridge = Observed<LTFSCartridgeInfo>.value(info)
        let capacities = await observe { try await device.partitionCapacities() }
        var reading = VolumeReading(cartridge: cartridge, capacities: capacities)
        guard case .value = cartridge, case .value(let caps) = capacities else { return reading }

        let present = caps.filter { $0.maximum > 0 }.map(\.partition).filter { $0 <= 1 }.sorted()
        // Even an unpartitioned cartridge gets its first blocks read: blank or not LTFS.
        for partition in present.isEmpty ? [0] : present {
            reading.partitions.append(await readLabelBlocks(device, partition: partition))
        }
        guard present.count >= 2 else { return reading }

        reading.mamVolumeName = await observe { try await device.readAttribute(MAMAttributeID.userMediumTextLabel, partition: 0) }
        reading.mamBarcode = await observe { try await device.readAttribute(MAMAttributeID.barcode, partition: 0) }
        let blockSize = reading.partitions.lazy.compactMap { Self.labelBlockSize($0) }.first
            ?? Self.fallbackRecordLength
        for i in reading.partitions.indices {
            let partition = reading.partitions[i].partition
            let status = await observe { try await device.endOfDataStatus(partition: partition) }
            reading.partitions[i].endOfDataStatus = status
            if case .value(.missing) = status { continue }
            let eod = await observe { try await device.locateToEndOfData(partition: partition) }
            reading.partitions[i].endOfData = eod
            if case .value(let eodBlock) = eod {
                reading.partitions[i].lastIndex = await readLastIndex(device, partition: partition,
                                                                      endOfData: eodBlock, blockSize: blockSize)
            }
        }
        reading.volumeChangeReference = await observe {
            try await device.readAttribute(MAMAttributeID.volumeChangeReference, partition: 0)
        }
        for partition in present {
            reading.coherency[partition] = await observe {
                try await device.readAttribute(MAMAttributeID.volumeCoherencyInformation, partition: partition)
            }
        }
        return reading
    }

    func readLabelBlocks(_ device: some LTFSTapeDevice, partition: UInt8) async -> PartitionReading {
        var blocks: [Observed<TapeRead>] = []
        if case .failed(let why) = await observe({ try await device.locate(partition: partition, block: 0); return true }) {
            blocks.append(.failed(why))
        } else {
            for _ in 0..<4 {
                let read = await observe { try await device.readRecord(maxLength: Self.labelReadLength) }
                blocks.append(read)
                if case .value(let r) = read, r != .endOfData { continue }
                break
            }
        }
        return PartitionReading(partition: partition, labelBlocks: blocks, endOfDataStatus: .value(.unknown))
    }

    /// From end of data back over filemarks: the last filemark is the index's trailing one
    /// (blocks after it are data written after the last index), the filemark before it
    /// precedes the index. An index never starts before block 5. When what sits between two
    /// filemarks is not XML (a crash between a data filemark and its index), the search goes
    /// one construct further back, a few times at most, so data is never read as an index.
    func readLastIndex(_ device: some LTFSTapeDevice, partition: UInt8, endOfData: UInt64,
                       blockSize: Int) async -> IndexConstructReading {
        var before = endOfData
        var endsWithFilemark = false
        var construct = IndexConstructReading(trailingFilemark: .value(nil), blocksAfterIndex: endOfData)
        for _ in 0..<Self.constructsSearched {
            let trailing = await observe {
                try await device.previousFilemark(partition: partition, before: before, maxRecordLength: blockSize)
            }
            guard case .value(let trailingBlock?) = trailing else {
                return IndexConstructReading(trailingFilemark: trailing, blocksAfterIndex: construct.blocksAfterIndex)
            }
            construct = IndexConstructReading(trailingFilemark: trailing, blocksAfterIndex: endOfData - trailingBlock - 1)
            if before == endOfData { endsWithFilemark = trailingBlock + 1 == endOfData }
            construct.endsWithFilemark = endsWithFilemark
            guard trailingBlock >= LTFSVolumeLayout.firstIndexBlock else { return construct }
            let leading = await observe {
                try await device.previousFilemark(partition: partition, before: trailingBlock, maxRecordLength: blockSize)
            }
            construct.leadingFilemark = leading
            guard case .value(let leadingBlock?) = leading, leadingBlock + 1 < trailingBlock else { return construct }
            if case .failed(let why) = await observe({ try await device.locate(partition: partition, block: leadingBlock + 1); return true }) {
                construct.records = [.failed(why)]
                return construct
            }
            for _ in (leadingBlock + 1)..<trailingBlock {
                let read = await observe { try await device.readRecord(maxLength: blockSize) }
                construct.records.append(read)
                guard case .value(.record(let bytes)) = read else { break }
                if construct.records.count == 1, !Self.looksLikeXML(bytes) { break }
            }
            guard case .value(.record(let first))? = construct.records.first, !Self.looksLikeXML(first),
                  leadingBlock >= LTFSVolumeLayout.firstIndexBlock else { return construct }
            before = trailingBlock
        }
        return construct
    }

    /// How many filemark-delimited sections a check looks through for the newest index.
    static let constructsSearched = 4

    /// Whether a record can start an XML document: optional BOM and whitespace, then `<`.
    static func looksLikeXML(_ record: [UInt8]) -> Bool {
        var bytes = record[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return first == UInt8(ascii: "<")
    }

    static func labelBlockSize(_ partition: PartitionReading) -> Int? {
        guard partition.labelBlocks.count > 2, case .value(.record(let xml)) = partition.labelBlocks[2],
              let label = try? LTFSLabel.decode(xml) else { return nil }
        return max(label.blockSize, LTFSLabel.minimumBlockSize)
    }

    private func observe<T: Sendable & Hashable>(_ body: () async throws -> T) async -> Observed<T> {
        do {
            return .value(try await body())
        } catch {
            return .failed("\(error)")
        }
    }
}
