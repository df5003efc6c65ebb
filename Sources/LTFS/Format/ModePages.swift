/// Mode page edits a format makes, on the page bytes a MODE SENSE returned (from the page-code
/// byte on). Both keep every byte they do not mean to change.
public enum LTFSModePages {
    public static let mediumPartitionPageCode: UInt8 = 0x11
    public static let dataCompressionPageCode: UInt8 = 0x0F
    public static let mediumConfigurationPageCode: UInt8 = 0x1D

    /// The Medium Partition mode page (SSC-4 table 137) set for two partitions:
    /// byte 3 additional partitions defined = 1; byte 4 FDP 0, SDP 0, IDP 1 (bit 5),
    /// PSUM = 11b partition units (bits 4–3), POFM 0, CLEAR 0, ADDP 0; byte 6 partition units
    /// = 9 (10^9 bytes); partition size descriptors from byte 8: partition 0 = 1 unit (the drive
    /// rounds up to its minimum), partition 1 = FFFFh (the rest of the medium).
    public static func twoPartitionPage(from sensed: [UInt8]) throws(LTFSFormatError) -> [UInt8] {
        guard sensed.count >= 2, sensed[0] & 0x3F == mediumPartitionPageCode else {
            throw .partitioningRefused("MODE SENSE did not return the medium partition page")
        }
        let pageLength = Int(sensed[1])
        guard pageLength >= 10, sensed.count >= pageLength + 2 else {
            throw .partitioningRefused("medium partition page is \(pageLength + 2) bytes, too short for two partitions")
        }
        guard sensed[2] >= 1 else {
            throw .partitioningRefused("the drive allows no additional partitions on this medium")
        }
        var page = Array(sensed.prefix(pageLength + 2))
        page[0] &= 0x3F           // PS is reserved in MODE SELECT; SPF 0 for page 11h.
        page[3] = 1
        page[4] = 0x20 | 0x18     // IDP, PSUM = 11b
        page[6] = (page[6] & 0xF0) | 9
        page[8] = 0x00; page[9] = 0x01
        page[10] = 0xFF; page[11] = 0xFF
        for i in stride(from: 12, to: page.count, by: 1) { page[i] = 0 }
        return page
    }

    /// The Data Compression mode page (SSC-4 table 129) with DCE (byte 2 bit 7) on or off.
    public static func compressionPage(from sensed: [UInt8], enabled: Bool) throws(LTFSFormatError) -> [UInt8] {
        guard sensed.count >= 4, sensed[0] & 0x3F == dataCompressionPageCode, sensed.count >= Int(sensed[1]) + 2 else {
            throw .device(step: "MODE SENSE data compression page", error: "unexpected page bytes")
        }
        var page = Array(sensed.prefix(Int(sensed[1]) + 2))
        page[0] &= 0x3F
        page[2] = enabled ? page[2] | 0x80 : page[2] & 0x7F
        return page
    }
}
