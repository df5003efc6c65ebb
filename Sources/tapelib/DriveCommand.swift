import ArgumentParser
import CLISupport
import Foundation
import SCSI
import TapeHardware

struct DriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drive",
        abstract: "Tape drive: status, rewind, erase, load/unload.",
        subcommands: [Status.self, Rewind.self, Erase.self, Eject.self])

    struct DriveOptions: ParsableArguments {
        @OptionGroup var device: DeviceOptions
        @Option(help: "Drive number in the library (0…); omit when --device is the drive itself.")
        var drive: Int?
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "INQUIRY, loaded cartridge, position, TapeAlert flags, volume statistics.")
        @OptionGroup var options: DriveOptions
        @Flag(help: "JSON for scripts.") var json = false

        func run() async throws {
            try await reportingFailures {
                let opened = try options.device.open()
                defer { opened.close() }
                let drive = try await opened.driveDevice(options.drive)
                let status = try await drive.status()
                if json {
                    try Output.printJSON(status)
                } else {
                    print(DriveStatusText.render(status))
                }
            }
        }
    }

    struct Rewind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rewind", abstract: "Rewind the loaded cartridge.")
        @OptionGroup var options: DriveOptions

        func run() async throws {
            try await reportingFailures {
                let opened = try options.device.open()
                defer { opened.close() }
                try await opened.driveDevice(options.drive).rewind()
                print("rewound")
            }
        }
    }

    struct Eject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eject", abstract: "Unload (eject) the cartridge in the drive.")
        @OptionGroup var options: DriveOptions

        func run() async throws {
            try await reportingFailures {
                let opened = try options.device.open()
                defer { opened.close() }
                try await opened.driveDevice(options.drive).unload()
                print("ejected")
            }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase the loaded cartridge from the beginning (short: write EOD; --long: overwrite all).")
        @OptionGroup var options: DriveOptions
        @Flag(help: "Long erase (hours on real LTO media), with a progress bar.") var long = false

        func run() async throws {
            try await reportingFailures {
                let opened = try options.device.open()
                defer { opened.close() }
                let drive = try await opened.driveDevice(options.drive)
                try await drive.rewind()
                let bar = ProgressBar(long ? "long erase" : "erase")
                try await drive.erase(long: long) { bar.update($0) }
                bar.finish()
                print("erased")
            }
        }
    }
}

enum DriveStatusText {
    static func render(_ s: DriveStatus) -> String {
        var lines = [
            "Drive:        \(s.vendor) \(s.product) \(s.revision)" + (s.serial.map { " serial \($0)" } ?? ""),
            "State:        \(s.readiness)",
        ]
        if s.mediumLoaded {
            lines.append("Cartridge:    \(s.barcode ?? "(no barcode)")"
                         + (s.mediumGeneration.map { " \($0)" } ?? "")
                         + (s.densityCode.map { String(format: " density %02Xh", $0) } ?? "")
                         + (s.worm == true ? " WORM" : "") + (s.writeProtected == true ? " write-protected" : ""))
            if let p = s.partition, let b = s.block {
                lines.append("Position:     partition \(p) block \(b)" + (s.beginningOfPartition == true ? " (BOP)" : ""))
            }
            if let bs = s.blockSize { lines.append("Block size:   " + (bs == 0 ? "variable" : "\(bs)")) }
            if let c = s.compression { lines.append("Compression:  \(c ? "on" : "off")") }
        } else {
            lines.append("Cartridge:    none")
        }
        if s.tapeAlerts.isEmpty {
            lines.append("TapeAlert:    none")
        } else {
            for a in s.tapeAlerts {
                lines.append(String(format: "TapeAlert:    %02Xh %@ [%@]", a.flag, a.name, a.severity))
            }
        }
        if let v = s.volumeStatistics {
            lines.append("Volume stats: mounts \(v.mounts.map(String.init) ?? "?"), "
                         + "lifetime written \(v.lifetimeMBWritten.map(String.init) ?? "?") MB, "
                         + "read \(v.lifetimeMBRead.map(String.init) ?? "?") MB")
        }
        return lines.joined(separator: "\n")
    }
}
