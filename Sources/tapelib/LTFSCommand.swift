import ArgumentParser
import Foundation
import LTFS

/// `tapelib ltfs check|format`: LTFS on a cartridge image or a loaded cartridge.
struct LTFSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ltfs",
        abstract: "Format and check LTFS volumes (the check never writes).",
        subcommands: [Check.self, Format.self])

    /// Where the cartridge is: an image directory (reference file-backend layout) or a drive.
    struct Target: ParsableArguments {
        @Option(name: .long, help: "A cartridge image directory in the LTFS file-backend layout.")
        var image: String?

        @Option(name: .long, help: "A device URL (/dev/sgN, sim:PROFILE, hwsim:SOCKET#N, iscsi://…).")
        var device: String?

        @Option(name: .long, help: "The drive number when the device is a library.")
        var drive: Int?

        func validate() throws {
            switch (image, device) {
            case (nil, nil): throw ValidationError("give --image DIR or --device D")
            case (.some, .some): throw ValidationError("give either --image or --device, not both")
            case (nil, .some) where drive == nil: throw ValidationError("--device needs --drive N")
            default: break
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an LTFS volume without writing. Exit 0 consistent, 1 recoverable, 2 otherwise.")

        @OptionGroup var target: Target

        @Flag(name: .long, help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let device: any LTFSTapeDevice
            do {
                device = try await LTFSDeviceOpening.open(target, createBlankImage: false)
            } catch {
                // Exit 1 means "recoverable"; a cartridge that cannot be opened is not that.
                FileHandle.standardError.write(Data("tapelib ltfs check: \(error)\n".utf8))
                throw ExitCode(2)
            }
            let report = await LTFSChecker().check(device)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                report.lines.forEach { print($0) }
            }
            if report.verdict.exitCode != 0 { throw ExitCode(report.verdict.exitCode) }
        }
    }

    struct Format: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Format a cartridge as LTFS (two partitions, as the reference mkltfs does).")

        @OptionGroup var target: Target

        @Option(name: .long, help: "The cartridge barcode; its first six characters become the volume serial.")
        var barcode: String?

        @Option(name: .long, help: "The volume name.")
        var name: String?

        @Option(name: .long, help: "The LTFS block size in bytes (4096…1048576).")
        var blockSize: Int = LTFSLabel.defaultBlockSize

        @Flag(name: .long, help: "Turn the drive's compression off.")
        var noCompression = false

        @Flag(name: .long, help: "Format even when the cartridge already holds data.")
        var force = false

        func validate() throws {
            if target.image != nil, barcode == nil {
                throw ValidationError("formatting an image needs --barcode TAG")
            }
        }

        func run() async throws {
            let options = LTFSFormatOptions(volumeName: name, barcode: barcode, blockSize: blockSize,
                                            compression: !noCompression, force: force)
            do {
                try options.validate()
            } catch {
                throw ValidationError("\(error)")
            }
            do {
                let device = try await LTFSDeviceOpening.open(target, createBlankImage: true)
                let result = try await LTFSFormatter(options: options).format(device)
                print("formatted LTFS volume \(result.volumeUUID)")
                print("volume name: \(result.volumeName ?? "(none)")")
                print("barcode: \(result.barcode ?? "(none)")")
                print("block size: \(result.blockSize), compression: \(result.compression)")
                print("format time: \(result.formatTime)")
                result.notes.forEach { print("note: \($0)") }
            } catch {
                FileHandle.standardError.write(Data("tapelib ltfs format: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}

/// Turns `--image`/`--device` into an `LTFSTapeDevice`.
enum LTFSDeviceOpening {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func open(_ target: LTFSCommand.Target, createBlankImage: Bool) async throws -> any LTFSTapeDevice {
        // TODO(ltfs, issue 5): load `--image` into an in-process HWSim drive and `--device` through
        // TapeDrive, then adapt TapeDrive to LTFSTapeDevice. Neither has landed in main yet.
        throw Unavailable(description: "LTFS on --image/--device needs TapeDrive and HWSim, which are not in this build yet")
    }
}
