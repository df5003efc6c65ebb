import LibraryService
import DeviceAccess
import ArgumentParser
import CLISupport
import Discovery
import Foundation
import HWSim

/// `tapelib discover [--json]`: what this host offers — changers, drives, block devices.
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List the tape changers, tape drives and block devices this host sees.")

    @Flag(name: .long, help: "Print an object with arrays changers, drives and block_devices.")
    var json = false

    @Option(name: .long, help: "Discover the devices of an in-process simulated library (a hwsim profile: \(LibraryProfile.builtInNames.joined(separator: ", "))) instead of udev's.")
    var sim: String?

    @Option(name: .long, help: "Also list library candidates: automatic (changers with their drives, matched by serial) or manual.")
    var candidates: CandidateMode?

    func run() async throws {
        let source: any DiscoverySource
        if let sim {
            source = try SimulatedDiscovery.source(profile: sim)
        } else {
            // SG_IO reads VPD 80h for drives udev has no serial for, and the changers' element
            // status for --candidates.
            source = UdevDiscoverySource(openTransport: { path in DeviceOpener.sg(path: path) })
        }
        let report = try await DiscoveryReport.scan(source: source)
        var found: Candidates?
        if let candidates { found = try await CandidateFinder(source: source).candidates(mode: candidates) }
        if json {
            FileHandle.standardOutput.write(try DiscoveryOutput(report: report, candidates: found).json())
            print()
        } else {
            print(DiscoveryText.render(report))
            if let found { print(DiscoveryText.render(found)) }
        }
    }
}

extension CandidateMode: ExpressibleByArgument {}

/// The JSON document: the report's arrays, plus `candidates` when asked for.
struct DiscoveryOutput: Encodable {
    var report: DiscoveryReport
    var candidates: Candidates?

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        if let candidates {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(candidates, forKey: .candidates)
        }
    }

    private enum Key: String, CodingKey { case candidates }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
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

    static func render(_ candidates: Candidates) -> String {
        var lines = ["Candidates (\(candidates.mode.rawValue)):"]
        for group in candidates.changers {
            lines.append("  changer \(group.changer.sgPath)  serial \(group.changer.serial ?? "unknown")")
            if let problem = group.problem { lines.append("    ! \(problem)") }
            for bay in group.bays {
                let drive = bay.drive.map { "\($0.sgPath) (serial \($0.serial ?? "?"))" } ?? "unmatched"
                lines.append("    drive \(bay.driveNumber) [element 0x" + String(bay.elementAddress, radix: 16) + "]: \(drive)")
                if let problem = bay.problem { lines.append("      ! \(problem)") }
            }
        }
        for candidate in candidates.drives {
            lines.append("  drive \(candidate.drive.sgPath)  serial \(candidate.drive.serial ?? "unknown")")
            if let problem = candidate.problem { lines.append("    ! \(problem)") }
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
