import ArgumentParser
import Discovery
import Foundation

/// `tapelib discover [--json]`: what this host offers — changers, drives, block devices.
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List the tape changers, tape drives and block devices this host sees.")

    @Flag(name: .long, help: "Print an object with arrays changers, drives and block_devices.")
    var json = false

    func run() async throws {
        let report = try await DiscoveryReport.scan(source: UdevDiscoverySource())
        if json {
            FileHandle.standardOutput.write(try report.json())
            print()
        } else {
            print(DiscoveryText.render(report))
        }
    }
}

/// The human-readable form of a discovery report.
enum DiscoveryText {
    static func render(_ report: DiscoveryReport) -> String {
        var lines: [String] = []
        lines.append("Changers:")
        if report.changers.isEmpty { lines.append("  (none)") }
        for changer in report.changers { lines.append(contentsOf: device(changer)) }
        lines.append("Drives:")
        if report.drives.isEmpty { lines.append("  (none)") }
        for drive in report.drives { lines.append(contentsOf: device(drive)) }
        lines.append("Block devices:")
        if report.blockDevices.isEmpty { lines.append("  (none)") }
        for block in report.blockDevices {
            var line = "  \(block.path)  \(block.type.rawValue)  \(formatSize(block.size))"
            if block.readOnly { line += "  ro" }
            if let fsType = block.fsType { line += "  \(fsType)" }
            if let label = block.label { line += "  label=\(label)" }
            if let uuid = block.uuid { line += "  uuid=\(uuid)" }
            if !block.mountpoints.isEmpty { line += "  on " + block.mountpoints.joined(separator: ", ") }
            if !block.holders.isEmpty { line += "  held by " + block.holders.joined(separator: ", ") }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    private static func device(_ device: DiscoveredDevice) -> [String] {
        var lines = ["  \(device.sgPath)  [\(device.address)]  \(device.vendor) \(device.model) \(device.revision)"]
        lines.append("      serial: " + (device.serial.map { "\($0) (\(device.serialSource?.rawValue ?? "?"))" } ?? "unknown"))
        let nodes = [device.stPath, device.nstPath].compactMap { $0 }
        if !nodes.isEmpty { lines.append("      tape nodes: " + nodes.joined(separator: ", ")) }
        for link in device.byIdLinks { lines.append("      \(link)") }
        return lines
    }

    private static func formatSize(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
