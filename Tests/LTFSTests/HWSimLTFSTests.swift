import Foundation
import HWSim
import SCSI
import TapeHardware
import Testing
@testable import LTFS

/// LTFS through the byte-level simulator: each cartridge sits in a one-drive library of its
/// generation, and LTFS talks to it through TapeHardware's `TapeDrive` (`TapeDriveDevice`).
enum SimulatedLTFSLibrary {
    static func library(_ cartridge: CartridgeProfile, drive: HWSim.LTOGeneration? = nil) throws -> SimulatedLibrary {
        let generation = drive ?? cartridge.generation
        let profile = LibraryProfile(
            name: "ltfs-test",
            changer: DeviceIdentity(vendor: "IBM", product: "3572-TL", revision: "T1", serial: "LTFSTEST0"),
            storageSlots: 1, importExportSlots: 0,
            drives: [DriveProfile(identity: DeviceIdentity(vendor: "IBM", product: "ULT3580-TD\(generation.number)",
                                                           revision: "T1", serial: "LTFSTEST1"),
                                  generation: generation)],
            cartridges: [cartridge], capacityScale: 0.001, powerOnUnitAttention: true)
        return try SimulatedLibrary(profile: profile)
    }

    static func image(_ name: String) throws -> SimulatedLibrary {
        let dir = SimulatedCartridge.fixturesDirectory.appendingPathComponent(name)
        let generation = FileBackendImage.generation(ofImage: dir) ?? .lto5
        return try library(CartridgeProfile(barcode: "IMAGE0L5", generation: generation, location: .drive(0), image: dir.path))
    }

    static func blank(_ barcode: String, _ generation: HWSim.LTOGeneration, kind: CartridgeKind = .data,
                      writeProtected: Bool = false, drive: HWSim.LTOGeneration? = nil) throws -> SimulatedLibrary {
        try library(CartridgeProfile(barcode: barcode, kind: kind, generation: generation, location: .drive(0),
                                     writeProtected: writeProtected), drive: drive)
    }

    static func device(_ library: SimulatedLibrary, barcode: String? = nil) -> TapeDriveDevice {
        TapeDriveDevice(drive: TapeDrive(transport: library.driveTransport(0), pollInterval: .milliseconds(1),
                                         retryInterval: .zero),
                        barcode: barcode)
    }
}

@Suite struct HWSimLTFSTests {
    static let verdicts: [(String, LTFSVerdict)] = [
        ("fresh_ABC123_named", .consistent), ("fresh_nobarcode", .consistent),
        ("fresh_nocompress_256k", .consistent), ("fresh_rules", .consistent),
        ("bad_dp_unflushed_data", .recoverable), ("bad_ip_index_missing", .recoverable),
        ("bad_label_uuid_mismatch", .inconsistent), ("bad_no_vol1_ltfs", .inconsistent),
        ("bad_dp_eod_missing", .inconsistent), ("blank_unpartitioned", .blank),
    ]

    /// The same verdicts and details as over the file-backed double, and not one command that
    /// changes the medium, its attributes or the drive's settings.
    @Test(arguments: verdicts)
    func referenceImagesGetTheirVerdicts(_ image: String, _ verdict: LTFSVerdict) async throws {
        let library = try SimulatedLTFSLibrary.image(image)
        let attributesBefore = library.withCartridge("IMAGE0L5") { $0.attributes }
        let recorder = RecordingTransport(library.driveTransport(0))
        let device = TapeDriveDevice(drive: TapeDrive(transport: recorder, pollInterval: .milliseconds(1),
                                                      retryInterval: .zero))
        let report = await LTFSChecker().check(device)
        #expect(report.verdict == verdict, "\(report.lines)")
        let double = await LTFSChecker().check(SimulatedLTFSDrive(try SimulatedCartridge.fixture(image)))
        #expect(report == double)

        // SSC-4/SPC-4 opcodes that write: FORMAT MEDIUM 04h, WRITE(6) 0Ah, SET CAPACITY 0Bh,
        // WRITE FILEMARKS(6) 10h, MODE SELECT 15h/55h, ERASE 19h, LOG SELECT 4Ch, WRITE ATTRIBUTE 8Dh.
        let writing: Set<UInt8> = [0x04, 0x0A, 0x0B, 0x10, 0x15, 0x19, 0x4C, 0x55, 0x8D]
        let sent = await recorder.opcodes
        #expect(!sent.isEmpty)
        #expect(sent.filter { writing.contains($0) }.isEmpty)
        #expect(library.withCartridge("IMAGE0L5") { $0.lifetimeBytesWritten } == 0)
        #expect(library.withCartridge("IMAGE0L5") { $0.attributes } == attributesBefore)
    }

    @Test func formatMatchesTheReferenceAndChecksConsistent() async throws {
        let library = try SimulatedLTFSLibrary.blank("ABC123L5", .lto5)
        let device = SimulatedLTFSLibrary.device(library, barcode: "ABC123L5")
        let result = try await LTFSFormatter(options: LTFSFormatOptions(volumeName: "TestVol", barcode: "ABC123")).format(device)
        #expect(result.wroteCoherencyAttributes)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ltfs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try library.withCartridge("ABC123L5") { try FileBackendImage.save($0, to: directory) }
        let formatted = try SimulatedCartridge.load(directory: directory)
        let reference = try SimulatedCartridge.fixture("fresh_ABC123_named")
        #expect(formatted.structure == reference.structure)
        for partition in 0..<2 {
            #expect(formatted.record(partition, 0) == reference.record(partition, 0))
            for block in [2, 5] {
                #expect(FormatTests.normalised(try #require(formatted.record(partition, block)))
                        == FormatTests.normalised(try #require(reference.record(partition, block))))
            }
        }
        // 0009h is the drive's own; every attribute LTFS writes is there.
        var ids = reference.attributes.mapValues { Set($0.keys) }
        ids[0]?.remove(0x0009)
        #expect(formatted.attributes.mapValues { Set($0.keys).subtracting([0x0009]) } == ids)

        let report = await LTFSChecker().check(device)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.volumeUUID == result.volumeUUID)
    }

    @Test(arguments: [
        (LTFSFormatOptions(volumeName: "Лента №1 – 日本語", barcode: "RB0001L6"), HWSim.LTOGeneration.lto6),
        (LTFSFormatOptions(barcode: "QQ0001L8", blockSize: 262_144, compression: false), .lto8),
        (LTFSFormatOptions(volumeName: "x", barcode: "QQ0002L9", blockSize: 4096), .lto9),
    ])
    func roundTrips(_ options: LTFSFormatOptions, _ generation: HWSim.LTOGeneration) async throws {
        let barcode = try #require(options.barcode)
        let library = try SimulatedLTFSLibrary.blank(barcode, generation)
        let device = SimulatedLTFSLibrary.device(library, barcode: barcode)
        let result = try await LTFSFormatter(options: options).format(device)
        let report = await LTFSChecker().check(device)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.volumeName == options.volumeName)
        #expect(report.volume?.blockSize == options.blockSize)
        #expect(report.volume?.compression == options.compression)
        #expect(report.volume?.barcode == barcode)
        #expect(report.volume?.formatTime == result.formatTime.formatted)
    }

    @Test func refusesLTO4() async throws {
        let library = try SimulatedLTFSLibrary.blank("OLD001L4", .lto4)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(SimulatedLTFSLibrary.device(library)) }
            throws: { error in
                guard case LTFSFormatError.unsupportedGeneration(4) = error else { return false }
                return true
            }
        #expect(library.withCartridge("OLD001L4") { $0.lifetimeBytesWritten } == 0)
    }

    @Test func refusesWORM() async throws {
        let library = try SimulatedLTFSLibrary.blank("WRM001LV", .lto5, kind: .worm)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(SimulatedLTFSLibrary.device(library)) }
            throws: { error in
                guard case LTFSFormatError.wormMedium = error else { return false }
                return true
            }
    }

    @Test func refusesWriteProtected() async throws {
        let library = try SimulatedLTFSLibrary.blank("WP0001L7", .lto7, writeProtected: true)
        await #expect { try await LTFSFormatter(options: LTFSFormatOptions()).format(SimulatedLTFSLibrary.device(library)) }
            throws: { error in
                guard case LTFSFormatError.writeProtected = error else { return false }
                return true
            }
        #expect(library.withCartridge("WP0001L7") { $0.lifetimeBytesWritten } == 0)
    }

    @Test func formattedCartridgeNeedsForce() async throws {
        let library = try SimulatedLTFSLibrary.image("fresh_rules")
        let device = SimulatedLTFSLibrary.device(library)
        await #expect(throws: LTFSFormatError.self) {
            try await LTFSFormatter(options: LTFSFormatOptions(barcode: "RUL001")).format(device)
        }
        #expect(library.withCartridge("IMAGE0L5") { $0.lifetimeBytesWritten } == 0)
        _ = try await LTFSFormatter(options: LTFSFormatOptions(barcode: "RUL001", force: true)).format(device)
        #expect(await LTFSChecker().check(device).verdict == .consistent)
    }
}

/// A transport that forwards to another and records each command's operation code.
actor RecordingTransport: SCSITransport {
    let inner: any SCSITransport
    private(set) var opcodes: [UInt8] = []

    init(_ inner: any SCSITransport) {
        self.inner = inner
    }

    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        opcodes.append(command.operationCode)
        return try await inner.execute(command)
    }
}

@Suite struct HWSimDriveQuirkTests {
    /// A drive that refuses the Medium Configuration page (05h/24h/00h): the cartridge type
    /// comes from another page's block descriptor, WORM from volume statistics (0081h).
    @Test func wormIsKnownWithoutMediumConfigurationPage() async throws {
        let library = try SimulatedLTFSLibrary.blank("WRM002LW", .lto6, kind: .worm)
        library.failNext(1, opcode: 0x5A, device: 1, with: HWSim.SenseData(.illegalRequest, .invalidFieldInCDB))
        let device = SimulatedLTFSLibrary.device(library)
        let info = try await device.cartridgeInfo()
        #expect(info.isWORM)
        #expect(info.generation == 6)
    }
}
