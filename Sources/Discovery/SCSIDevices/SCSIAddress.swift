/// A Linux SCSI address, host:channel:target:LUN, as in the sysfs name of a scsi_device.
public struct SCSIAddress: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var host: Int
    public var channel: Int
    public var target: Int
    public var lun: Int

    public init(host: Int, channel: Int, target: Int, lun: Int) {
        self.host = host
        self.channel = channel
        self.target = target
        self.lun = lun
    }

    /// Parses "H:C:T:L"; nil for anything else.
    public init?(hctl: String) {
        let parts = hctl.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == 4, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
        self.init(host: numbers[0], channel: numbers[1], target: numbers[2], lun: numbers[3])
    }

    public var description: String { "\(host):\(channel):\(target):\(lun)" }

    public static func < (lhs: SCSIAddress, rhs: SCSIAddress) -> Bool {
        (lhs.host, lhs.channel, lhs.target, lhs.lun) < (rhs.host, rhs.channel, rhs.target, rhs.lun)
    }

    // Encoded as the familiar "H:C:T:L" string.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = SCSIAddress(hctl: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                   debugDescription: "not H:C:T:L: \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
