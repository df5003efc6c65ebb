extension LTFSTapeDevice {
    /// The block number of the nearest filemark before `block` on a partition, nil when the
    /// beginning of the partition comes first. This default steps back one block at a time
    /// with LOCATE and READ; a drive adapter can do it with SPACE(16) −1 filemark and
    /// READ POSITION instead.
    public func previousFilemark(partition: UInt8, before block: UInt64, maxRecordLength: Int) async throws -> UInt64? {
        var candidate = block
        while candidate > 0 {
            candidate -= 1
            try await locate(partition: partition, block: candidate)
            if case .filemark = try await readRecord(maxLength: maxRecordLength) { return candidate }
        }
        return nil
    }
}
