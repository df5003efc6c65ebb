import Foundation
import Testing
@testable import Catalog

/// What the library service records about drives, changers, cartridges and tasks, written once
/// for both stores (`CatalogStore`): each test runs on SQLite and on PostgreSQL and checks the
/// answers written here.
@Suite("Device and cartridge records, on SQLite and on PostgreSQL")
struct DeviceRecordTests {
    @Test("a drive's state: a disabled drive stays disabled, onlyFrom is a compare-and-set; re-binding",
          arguments: QueueStore.allCases)
    func driveState(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let drive = try await catalog.insert(LibraryTapeDrive(libraryId: fixture.libraryID, mediaServerId: fixture.serverID,
                                                              device: "/dev/sg3", scsiPath: "[6:0:1:0]", sysTransferElement: 1))
        let id = try #require(drive.id)
        #expect(try await catalog.setDriveState(id, to: .needsCleaning).state == .needsCleaning)
        // A drive that comes back goes from offline to online only; this one still needs cleaning.
        #expect(try await catalog.setDriveState(id, to: .online, onlyFrom: [.offline]).state == .needsCleaning)
        #expect(try await catalog.setDriveState(id, to: .disabled).state == .disabled)
        #expect(try await catalog.setDriveState(id, to: .online).state == .disabled)
        #expect(try await catalog.bindDrive(id, device: "/dev/sg7").device == "/dev/sg7")
        #expect(try await catalog.drive(id: id)?.device == "/dev/sg7")
        await #expect(throws: CatalogError.notFound(resource: "library_tape_drives", identifier: "4242")) {
            _ = try await catalog.setDriveState(4242, to: .online)
        }
        let changer = try await catalog.insert(MediumChanger(mediaServerId: fixture.serverID, scsiPath: "[6:0:0:0]",
                                                             device: "/dev/sg2"))
        let changerID = try #require(changer.id)
        #expect(try await catalog.setChangerState(changerID, to: .offline).state == .offline)
        #expect(try await catalog.bindChanger(changerID, device: "/dev/sg9").device == "/dev/sg9")
    }

    @Test("a cleaning: the drive's counters restart, the cartridge has a use fewer and retires at none",
          arguments: QueueStore.allCases)
    func cleaning(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        var drive = LibraryTapeDrive(libraryId: fixture.libraryID, mediaServerId: fixture.serverID, device: "/dev/sg3",
                                     scsiPath: "[6:0:1:0]", sysTransferElement: 1, state: .needsCleaning)
        drive.mountsSinceCleaning = 40
        drive.bytesSinceCleaning = 1 << 40
        let driveID = try #require(try await catalog.insert(drive).id)
        let slot = try await fixture.addSlot(1000)
        let cleaning = try await catalog.registerCartridge(volumeTag: "CLN001CU")
        let cartridgeID = try #require(cleaning.id)
        #expect(cleaning.status == .cleaning && cleaning.cleaningUsesLeft == Reconciler.cleaningUses)
        try await catalog.placeCartridge(cartridgeID, inSlot: slot)
        #expect(try await catalog.cleaningCartridges(library: fixture.libraryID).map(\.id) == [cartridgeID])

        let time = Date(timeIntervalSince1970: 1_800_000_000)
        try await catalog.recordCleaning(drive: driveID, cartridge: cartridgeID, expired: false, at: time)
        let cleaned = try #require(try await catalog.drive(id: driveID))
        #expect(cleaned.state == .online && cleaned.mountsSinceCleaning == 0 && cleaned.bytesSinceCleaning == 0)
        #expect(cleaned.lastCleaning == time)
        #expect(try await catalog.cartridge(id: cartridgeID)?.cleaningUsesLeft == Reconciler.cleaningUses - 1)

        // Reported expired: no uses left, retired, the drive's record unchanged.
        try await catalog.recordCleaning(drive: driveID, cartridge: cartridgeID, expired: true, at: time.addingTimeInterval(60))
        let retired = try #require(try await catalog.cartridge(id: cartridgeID))
        #expect(retired.status == .retired && retired.cleaningUsesLeft == 0)
        #expect(try await catalog.drive(id: driveID)?.lastCleaning == time)
        #expect(try await catalog.cleaningCartridges(library: fixture.libraryID).isEmpty)
    }

    @Test("a rewritten medium is scratch and empty; an LTFS check's verdict; a WORM is never rewritten",
          arguments: QueueStore.allCases)
    func mediumRecords(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let id = try #require(try await catalog.registerCartridge(volumeTag: "AAA001L9").id)
        try await catalog.setCartridgeStatus(id, to: .append)
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        let formatted = try await catalog.recordMediumRewritten(id, ltfs: true, at: time)
        #expect(formatted.status == .scratch && formatted.bytesWritten == 0 && formatted.ltfsState == .consistent)
        #expect(try await catalog.cartridge(id: id) == formatted)
        let checked = try await catalog.recordLTFSCheck(id, state: .inconsistent, verdict: "index mismatch", at: time)
        #expect(checked.ltfsState == .inconsistent && checked.ltfsCheckVerdict == "index mismatch" && checked.ltfsCheckedAt == time)
        let worm = try #require(try await catalog.registerCartridge(volumeTag: "WRM001LZ").id)
        try await catalog.setCartridgeStatus(worm, to: .append)
        await #expect(throws: CatalogError.self) { _ = try await catalog.recordMediumRewritten(worm, ltfs: false) }
        #expect(try await catalog.cartridge(id: worm)?.status == .append)
    }

    @Test("a sync's outcome on the library; a queued task cancelled once, with a log line",
          arguments: QueueStore.allCases)
    func syncAndCancel(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        try await catalog.recordSync(library: fixture.libraryID, state: .synced, at: time)
        try await catalog.recordSync(library: fixture.libraryID, state: .failed, at: time.addingTimeInterval(60))
        let library = try #require(try await catalog.library(id: fixture.libraryID))
        #expect(library.syncState == .failed && library.lastSync == time)

        let queue = try #require(catalog as? any LibraryTaskQueue)
        let task = try await queue.enqueue(LibraryTask(type: .erase, libraryId: fixture.libraryID))
        let taskID = try #require(task.id)
        let cancelled = try #require(try await catalog.cancelQueuedLibraryTask(taskID, reason: "operator", now: time))
        #expect(cancelled.status == .killed && cancelled.errorMessage == "operator" && cancelled.finishedAt == time)
        let again = try #require(try await catalog.cancelQueuedLibraryTask(taskID, reason: "twice", now: time))
        #expect(again.errorMessage == "operator")
        #expect(try await catalog.log(ofLibraryTask: taskID).map(\.message) == ["operator"])
        #expect(try await catalog.cancelQueuedLibraryTask(4242, reason: "none") == nil)
    }
}
