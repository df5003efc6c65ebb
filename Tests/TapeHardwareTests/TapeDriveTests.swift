import Foundation
import HWSim
import SCSI
import Testing
@testable import TapeHardware

/// TapeDrive against simulated LTO drives: records, filemarks, end of data, ILI, WORM,
/// write protect, compatibility, media errors, TapeAlert, cleaning and long operations.
@Suite struct TapeDriveTests {
    /// A midsize library (drives 0–1 LTO-8, 2–3 LTO-9) with `barcode` loaded into `drive`.
    static func loaded(_ barcode: String, drive: Int, profile: LibraryProfile? = nil)
        async throws -> (SimulatedLibrary, TapeDrive)
    {
        let library = try SimulatedLibrary(profile: profile ?? .named("midsize"))
        let changer = MediumChanger(transport: library.changerTransport, retryInterval: .zero)
        let inventory = try await changer.inventory()
        let source = try #require(inventory.location(ofVolumeTag: barcode))
        try await changer.move(from: source.address, to: inventory.drives[drive].address)
        let tapeDrive = TapeDrive(transport: library.driveTransport(drive), pollInterval: .milliseconds(1),
                                  retryInterval: .milliseconds(1))
        // Loading and threading take virtual time.
        library.advanceClock(by: .seconds(600))
        return (library, tapeDrive)
    }

    static func pattern(_ n: Int, seed: UInt8) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test func recordsFilemarksAndEndOfDataRoundTrip() async throws {
        let (_, drive) = try await Self.loaded("B00001L8", drive: 0)
        #expect(try await drive.readiness() == .ready)
        let records = [Self.pattern(100, seed: 1), Self.pattern(65_536, seed: 2), Self.pattern(524_288, seed: 3)]
        for r in records { try await drive.write(record: r) }
        try await drive.writeFilemarks(1)
        let last = Self.pattern(4_096, seed: 4)
        try await drive.write(record: last)
        let end = try await drive.position()
        #expect(end.partition == 0)
        #expect(end.blockNumber == 5)   // 3 records + filemark + 1 record
        try await drive.rewind()
        #expect(try await drive.position().beginningOfPartition)
        for r in records { #expect(try await drive.readRecord(maxLength: 1 << 20) == .record(r, truncatedBy: 0)) }
        #expect(try await drive.readRecord(maxLength: 1 << 20) == .filemark)
        #expect(try await drive.readRecord(maxLength: 1 << 20) == .record(last, truncatedBy: 0))
        #expect(try await drive.readRecord(maxLength: 1 << 20) == .endOfData)
    }

    @Test func longerRecordThanBufferReportsIncorrectLength() async throws {
        let (_, drive) = try await Self.loaded("B00002L8", drive: 0)
        let record = Self.pattern(10_000, seed: 9)
        try await drive.write(record: record)
        try await drive.rewind()
        // SSC-4 4.2.22 / SPC-4 fixed sense: ILI with INFORMATION = requested − actual (negative).
        #expect(try await drive.readRecord(maxLength: 4_000) == .record(Array(record.prefix(4_000)), truncatedBy: 6_000))
    }

    @Test func locateAndSpaceFindRecords() async throws {
        let (_, drive) = try await Self.loaded("B00003L8", drive: 1)
        for i in 0..<5 { try await drive.write(record: Self.pattern(512, seed: UInt8(i))) }
        try await drive.writeFilemarks(1)
        try await drive.write(record: Self.pattern(512, seed: 99))
        try await drive.locate(partition: 0, block: 3)
        #expect(try await drive.readRecord(maxLength: 512) == .record(Self.pattern(512, seed: 3), truncatedBy: 0))
        try await drive.rewind()
        try await drive.space(.filemarks, count: 1)
        #expect(try await drive.readRecord(maxLength: 512) == .record(Self.pattern(512, seed: 99), truncatedBy: 0))
        try await drive.rewind()
        try await drive.space(.endOfData, count: 0)
        #expect(try await drive.position().blockNumber == 7)
    }

    @Test func wormRefusesOverwrite() async throws {
        let (_, drive) = try await Self.loaded("W00001LY", drive: 0)
        try await drive.write(record: Self.pattern(1_000, seed: 1))
        try await drive.writeFilemarks(1)
        try await drive.rewind()
        do {
            try await drive.write(record: Self.pattern(1_000, seed: 2))
            Issue.record("WORM overwrite succeeded")
        } catch {
            #expect(error.matches(.dataProtect, .wormOverwriteAttempted))
        }
        // The original data is intact.
        try await drive.rewind()
        #expect(try await drive.readRecord(maxLength: 4_096) == .record(Self.pattern(1_000, seed: 1), truncatedBy: 0))
        #expect(try await drive.status().worm == true)
    }

    @Test func writeProtectedCartridgeRefusesWrites() async throws {
        var profile = try LibraryProfile.named("midsize")
        let i = try #require(profile.cartridges.firstIndex { $0.barcode == "B00004L8" })
        profile.cartridges[i].writeProtected = true
        let (_, drive) = try await Self.loaded("B00004L8", drive: 0, profile: profile)
        do {
            try await drive.write(record: [1, 2, 3])
            Issue.record("write to a write-protected cartridge succeeded")
        } catch {
            #expect(error.matches(.dataProtect, .writeProtected))
        }
        #expect(try await drive.status().writeProtected == true)
    }

    @Test func incompatibleGenerationIsRefused() async throws {
        // LTO-9 drives read and write LTO-8 and LTO-9 only (scsi-reference.md).
        let (_, drive) = try await Self.loaded("D00001L6", drive: 2)
        do {
            try await drive.write(record: [1, 2, 3])
            Issue.record("LTO-9 drive wrote an LTO-6 cartridge")
        } catch {
            #expect(error.sense?.additionalSense.asc == 0x30)
        }
    }

    @Test func mediaErrorAtABlock() async throws {
        let (library, drive) = try await Self.loaded("B00005L8", drive: 0)
        for i in 0..<3 { try await drive.write(record: Self.pattern(100, seed: UInt8(i))) }
        library.injectMediaError(barcode: "B00005L8", block: 1)
        try await drive.rewind()
        #expect(try await drive.readRecord(maxLength: 100) == .record(Self.pattern(100, seed: 0), truncatedBy: 0))
        do {
            _ = try await drive.readRecord(maxLength: 100)
            Issue.record("read of a bad block succeeded")
        } catch {
            #expect(error.matches(.mediumError, .unrecoveredReadError))
        }
    }

    @Test func tapeAlertsAreReadWithoutClearing() async throws {
        let (library, drive) = try await Self.loaded("B00006L8", drive: 0)
        library.requireCleaning(drive: 0)
        library.raiseTapeAlerts([0x03], drive: 0)
        let first = try await drive.tapeAlerts()
        #expect(first.contains(.cleanNow))
        #expect(first.contains(.hardError))
        #expect(first.policy.contains(.disableDrive))
        // Page 12h does not clear the flags (scsi-reference.md).
        #expect(try await drive.tapeAlerts() == first)
    }

    @Test func cleaningCartridgeCleansAndIsCounted() async throws {
        let library = try SimulatedLibrary(profile: .named("midsize"))
        library.requireCleaning(drive: 0)
        let usesBefore = try #require(library.withCartridge("CLN001L1") { $0.cleaningUsesLeft })
        let changer = MediumChanger(transport: library.changerTransport, retryInterval: .zero)
        let inventory = try await changer.inventory()
        let cleaner = try #require(inventory.location(ofVolumeTag: "CLN001L1"))
        try await changer.move(from: cleaner.address, to: inventory.drives[0].address)
        let drive = TapeDrive(transport: library.driveTransport(0), retryInterval: .milliseconds(1))
        // While the cleaning cycle runs the drive answers NOT READY 02h/30h/03h.
        #expect(try await drive.readiness() == .cleaning)
        library.advanceClock(by: .seconds(3_600))
        _ = try await drive.readiness()
        #expect(library.withCartridge("CLN001L1") { $0.cleaningUsesLeft } == usesBefore - 1)
        #expect(!(try await drive.tapeAlerts().contains(.cleanNow)))
    }

    @Test func longEraseReportsProgressToCompletion() async throws {
        let (_, drive) = try await Self.loaded("C00001L9", drive: 2)
        try await drive.write(record: Self.pattern(1_000, seed: 1))
        try await drive.rewind()
        let seen = ProgressLog()
        try await drive.erase(long: true) { seen.append($0) }
        let values = seen.values
        #expect(values.last == 1)
        #expect(values == values.sorted())
        try await drive.rewind()
        #expect(try await drive.readRecord(maxLength: 4_096) == .endOfData)
    }

    @Test func modeSense10RefusedFallsBackToModeSense6() async throws {
        var profile = try LibraryProfile.named("midsize")
        profile.quirks.modeSense10Refused = true
        let (_, drive) = try await Self.loaded("B00007L8", drive: 0, profile: profile)
        let status = try await drive.status()
        #expect(status.densityCode == 0x5E)   // LTO-8 (scsi-reference.md LTO table)
        #expect(status.mediumGeneration == "LTO-8")
    }

    @Test func statusOfAnEmptyDrive() async throws {
        let library = try SimulatedLibrary(profile: .named("midsize"))
        let status = try await TapeDrive(transport: library.driveTransport(3)).status()
        #expect(!status.mediumLoaded)
        #expect(status.serial == "HU2130B002")
        #expect(status.product == "Ultrium 9-SCSI")
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []
    func append(_ v: Double) { lock.lock(); storage.append(v); lock.unlock() }
    var values: [Double] { lock.lock(); defer { lock.unlock() }; return storage }
}
