/// Read-only LTFS check of the cartridge in a device: reads with `LTFSVolumeReader`, judges
/// with `LTFSConsistencyCheck`. Never writes.
public struct LTFSChecker: Sendable {
    public init() {}

    public func check(_ device: some LTFSTapeDevice) async -> LTFSCheckReport {
        let reading = await LTFSVolumeReader().read(device)
        return LTFSConsistencyCheck.evaluate(reading)
    }
}
