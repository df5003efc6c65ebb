import ArgumentParser
import CLISupport
import Foundation
import HWSim
import LTFS
import TapeHardware

/// `tapelib ltfs check|format`: LTFS on a cartridge image or on a cartridge loaded in a drive.
struct LTFSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ltfs",
        abstract: "Format and check LTFS volumes (the check never writes).",
        subcommands: [Check.self, Format.self])

    /// Where the cartridge is: an image directory (reference file-backend layout) or a drive.
    struct Target: ParsableArguments {
        @Option(name: .long, help: "A cartridge image directory in the LTFS reference file-backend layout.")
        var image: String?

        @Option(name: .long, help: "Device: /dev/sgN, sim:PROFILE, hwsim:SOCKET#N or iscsi://HOST:PORT/IQN/LUN.")
        var device: String?

        @Option(name: .long, help: "Drive number in the library (0…); omit when --device is the drive itself.")
        var drive: Int?

        @Option(name: .long, help: "With sim:PROFILE, a directory that keeps the simulator's state between runs.")
        var simState: String?

        func validate() throws {
            switch (image, device) {
            case (nil, nil): throw ValidationError("give --image DIR or --device D")
            case (.some, .some): throw ValidationError("give either --image or --device, not both")
            case (.some, nil) where drive != nil || simState != nil:
                throw ValidationError("--drive and --sim-state go with --device")
            default: break
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check an LTFS volume without writing. Exit 0 consistent, 1 recoverable, 2 otherwise.")

        @OptionGroup var target: Target

        @Flag(name: .long, help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let cartridge: LTFSCartridgeTarget
            do {
                cartridge = try await LTFSCartridgeTarget.open(target, barcode: nil, forFormat: false)
            } catch {
                // Exit 1 means "recoverable"; a cartridge that cannot be opened is not that.
                Output.error(describe(error))
                throw ExitCode(2)
            }
            defer { cartridge.close(saveImage: false) }
            let report = await LTFSChecker().check(cartridge.device)
            if json {
                try Output.printJSON(report)
            } else {
                report.lines.forEach { print($0) }
            }
            if report.verdict.exitCode != 0 { throw ExitCode(report.verdict.exitCode) }
        }
    }

    struct Format: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "format",
            abstract: "Format a cartridge as LTFS: two partitions, labels, indexes and MAM attributes as mkltfs writes them.")

        @OptionGroup var target: Target

        @Option(name: .long, help: "The cartridge barcode; its first six characters become the VOL1 volume serial.")
        var barcode: String?

        @Option(name: .long, help: "The volume name.")
        var name: String?

        @Option(name: .long, help: "The LTFS block size in bytes (4096…1048576).")
        var blockSize: Int = LTFSLabel.defaultBlockSize

        @Flag(name: .long, help: "Turn the drive's data compression off.")
        var noCompression = false

        @Flag(name: .long, help: "Format even when the cartridge already holds data.")
        var force = false

        var options: LTFSFormatOptions {
            LTFSFormatOptions(volumeName: name, barcode: barcode, blockSize: blockSize,
                              compression: !noCompression, force: force)
        }

        func validate() throws {
            if target.image != nil, barcode == nil {
                throw ValidationError("formatting an image needs --barcode TAG")
            }
            do {
                try options.validate()
            } catch {
                throw ValidationError("\(error)")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let cartridge = try await LTFSCartridgeTarget.open(target, barcode: barcode, forFormat: true)
                let result: LTFSFormatResult
                do {
                    result = try await LTFSFormatter(options: options).format(cartridge.device)
                } catch {
                    cartridge.close(saveImage: false)
                    Output.error("\(error)")
                    throw ExitCode(2)
                }
                try cartridge.saveImage()
                cartridge.close(saveImage: true)
                print("formatted LTFS volume \(result.volumeUUID)")
                print("volume name: \(result.volumeName ?? "(none)")")
                print("barcode: \(result.barcode ?? "(none)")")
                print("block size: \(result.blockSize), compression: \(result.compression)")
                print("format time: \(result.formatTime)")
                result.notes.forEach { print("note: \($0)") }
            }
        }
    }
}

/// The cartridge a command works on, as an `LTFSTapeDevice` over TapeHardware's `TapeDrive`:
/// either an image directory loaded into an in-process simulated drive, or a drive of a device.
struct LTFSCartridgeTarget {
    var device: TapeDriveDevice
    var image: LTFSImageCartridge?
    var opened: OpenedDevice?

    static func open(_ target: LTFSCommand.Target, barcode: String?, forFormat: Bool) async throws -> LTFSCartridgeTarget {
        if let image = target.image {
            let cartridge = try LTFSImageCartridge(directory: URL(fileURLWithPath: image), barcode: barcode,
                                                   createBlank: forFormat)
            let drive = TapeDrive(transport: cartridge.library.driveTransport(0), pollInterval: .milliseconds(10),
                                  retryInterval: .zero)
            return LTFSCartridgeTarget(device: TapeDriveDevice(drive: drive, barcode: barcode), image: cartridge)
        }
        guard let url = target.device else { throw CLIError("give --image DIR or --device D") }
        let opened = try OpenedDevice.open(device: url, simState: target.simState, simFaults: [])
        // A simulated library knows the barcode of the cartridge in the drive; otherwise --barcode.
        let loadedBarcode = opened.simulator?.barcode(at: .drive(target.drive ?? 0))
        let drive = TapeDrive(transport: try await opened.drive(target.drive))
        return LTFSCartridgeTarget(device: TapeDriveDevice(drive: drive, barcode: barcode ?? loadedBarcode),
                                   opened: opened)
    }

    func saveImage() throws {
        try image?.save()
    }

    func close(saveImage: Bool) {
        opened?.close()
    }
}

/// A cartridge image directory (the LTFS reference "file" backend layout) loaded into an
/// in-process simulated library with one drive of the cartridge's generation, which can read
/// and write it. Nothing goes back to the directory unless `save()` is called.
struct LTFSImageCartridge {
    let directory: URL
    let barcode: String
    let library: SimulatedLibrary

    /// The reference backend emulates a 3,072 MB cartridge; images made here are the same size.
    static let imageCapacity: Double = 3_072 * 1_048_576

    init(directory: URL, barcode: String?, createBlank: Bool) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: directory.path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue { throw CLIError("\(directory.path) is not a directory") }
        let holdsImage = exists
            && ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).contains { $0.hasPrefix("0_") }
        guard holdsImage || createBlank else {
            throw CLIError("\(directory.path) is not a cartridge image directory")
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
            name: "ltfs-image",
            changer: DeviceIdentity(vendor: "IBM", product: "3572-TL", revision: "SIM1", serial: "LTFSIMAGE0"),
            storageSlots: 1, importExportSlots: 0, drives: [drive], cartridges: [cartridge],
            capacityScale: Self.imageCapacity / Double(generation.nativeCapacity), powerOnUnitAttention: false)
        self.directory = directory
        self.barcode = tag
        self.library = try SimulatedLibrary(profile: profile)
    }

    /// The generation an LTO barcode's media suffix names (L5, L6, M8, …), if any.
    static func generation(barcode: String) -> HWSim.LTOGeneration? {
        guard barcode.count == 8 else { return nil }
        let suffix = String(barcode.suffix(2))
        return HWSim.LTOGeneration.allCases.first { $0.barcodeSuffix == suffix }
    }

    /// Writes the cartridge back to the directory.
    func save() throws {
        // FileBackendImage writes the volume change reference as attr_0_9, as the reference
        // backend does.
        try library.withCartridge(barcode) { cartridge in
            try FileBackendImage.save(cartridge, to: directory)
        }
    }
}
