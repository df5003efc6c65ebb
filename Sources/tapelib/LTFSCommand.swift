import ArgumentParser
import Foundation
import HWSim
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
            let opened: LTFSDeviceOpening.Opened
            do {
                opened = try LTFSDeviceOpening.open(target, barcode: nil, forFormat: false)
            } catch {
                // Exit 1 means "recoverable"; a cartridge that cannot be opened is not that.
                FileHandle.standardError.write(Data("tapelib ltfs check: \(error)\n".utf8))
                throw ExitCode(2)
            }
            let report = await LTFSChecker().check(opened.device)
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
                let opened = try LTFSDeviceOpening.open(target, barcode: barcode, forFormat: true)
                let result = try await LTFSFormatter(options: options).format(opened.device)
                try opened.image?.save()
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

    /// An opened cartridge: the device, and for an image the simulator holding it.
    struct Opened {
        var device: any LTFSTapeDevice
        var image: LTFSImageCartridge?
    }

    static func open(_ target: LTFSCommand.Target, barcode: String?, forFormat: Bool) throws -> Opened {
        if let image = target.image {
            let cartridge = try LTFSImageCartridge(directory: URL(fileURLWithPath: image), barcode: barcode,
                                                   createBlank: forFormat)
            return Opened(device: cartridge.device, image: cartridge)
        }
        // TODO(ltfs, issue 5): `--device D --drive N` through TapeHardware's TapeDrive once it has
        // landed; LTFS needs only an `LTFSTapeDevice` (TransportTapeDevice bridges a transport).
        throw Unavailable(description: "--device is not wired yet: it needs TapeDrive, which is not in this build")
    }
}

/// A cartridge image directory (the LTFS reference "file" backend layout) loaded into an
/// in-process simulated library with one drive of the cartridge's generation, which can read
/// and write it. Nothing is written back unless `save()` is called.
struct LTFSImageCartridge {
    let directory: URL
    let barcode: String
    let library: SimulatedLibrary
    let device: TransportTapeDevice

    /// The reference backend emulates a 3,072 MB cartridge; images made here are the same size.
    static let imageCapacity: Double = 3_072 * 1_048_576

    init(directory: URL, barcode: String?, createBlank: Bool) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: directory.path, isDirectory: &isDirectory)
        let holdsImage = exists && isDirectory.boolValue
            && ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).contains { $0.hasPrefix("0_") }
        guard holdsImage || createBlank else {
            throw LTFSDeviceOpening.Unavailable(description: "\(directory.path) is not a cartridge image directory")
        }
        if exists, !isDirectory.boolValue {
            throw LTFSDeviceOpening.Unavailable(description: "\(directory.path) is not a directory")
        }
        let generation = (holdsImage ? FileBackendImage.generation(ofImage: directory) : nil)
            ?? barcode.flatMap(Self.generation(barcode:)) ?? .lto5
        let tag = barcode ?? "IMAGE0" + generation.barcodeSuffix
        let cartridge = CartridgeProfile(barcode: tag, generation: generation, location: .drive(0),
                                         image: holdsImage ? directory.path : nil)
        let drive = DriveProfile(identity: DeviceIdentity(vendor: "IBM", product: "ULT3580-TD\(generation.number)",
                                                          revision: "SIM1", serial: "LTFSIMAGE1"),
                                 generation: generation)
        let profile = LibraryProfile(
            name: "ltfs-image", changer: DeviceIdentity(vendor: "IBM", product: "3572-TL", revision: "SIM1", serial: "LTFSIMAGE0"),
            storageSlots: 1, importExportSlots: 0, drives: [drive], cartridges: [cartridge],
            capacityScale: Self.imageCapacity / Double(generation.nativeCapacity), powerOnUnitAttention: false)
        self.directory = directory
        self.barcode = tag
        self.library = try SimulatedLibrary(profile: profile)
        self.device = TransportTapeDevice(transport: library.driveTransport(0), barcode: barcode)
    }

    /// The generation an LTO barcode's media suffix names (L5, L6, M8, …), if any.
    static func generation(barcode: String) -> LTOGeneration? {
        guard barcode.count == 8 else { return nil }
        let suffix = String(barcode.suffix(2))
        return LTOGeneration.allCases.first { $0.barcodeSuffix == suffix }
    }

    /// Writes the cartridge back to the directory.
    func save() throws {
        try library.withCartridge(barcode) { cartridge in
            // The reference backend keeps the volume change reference as attr_0_9; HWSim keeps it
            // as a cartridge property and saves the attribute only when the image had one.
            let vcrKey = MAMKey(partition: 0, id: 0x0009)
            if cartridge.attributes[vcrKey] == nil {
                let vcr = cartridge.volumeChangeReference
                cartridge.attributes[vcrKey] = HWSim.MAMAttribute(
                    formatByte: 0x00, value: (0..<4).map { UInt8(truncatingIfNeeded: vcr >> UInt32(24 - 8 * $0)) })
            }
            try FileBackendImage.save(cartridge, to: directory)
        }
    }
}
