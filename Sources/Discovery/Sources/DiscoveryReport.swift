import Foundation

/// Everything `tapelib discover` shows: changers, drives and block devices of this host.
public struct DiscoveryReport: Sendable, Hashable, Codable {
    public var changers: [DiscoveredDevice]
    public var drives: [DiscoveredDevice]
    public var blockDevices: [BlockDevice]

    public init(changers: [DiscoveredDevice], drives: [DiscoveredDevice], blockDevices: [BlockDevice]) {
        self.changers = changers
        self.drives = drives
        self.blockDevices = blockDevices
    }

    /// Scans `source` for changers and drives and this host for block devices.
    public static func scan(source: any DiscoverySource) async throws(DiscoveryError) -> DiscoveryReport {
        let devices = try await source.devices()
        let blockDevices = try await BlockDeviceScanner.devices()
        return DiscoveryReport(changers: devices.filter { $0.kind == .changer },
                               drives: devices.filter { $0.kind == .drive },
                               blockDevices: blockDevices)
    }

    /// JSON with snake_case keys (`block_devices`, `sg_path`, `read_only`, …), as the API uses.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}

extension BlockDeviceScanner {
    /// Scans block devices on a blocking-I/O queue.
    public static func devices() async throws(DiscoveryError) -> [BlockDevice] {
        try await BlockingIO.run { () throws(DiscoveryError) -> [BlockDevice] in try scan() }
    }
}
