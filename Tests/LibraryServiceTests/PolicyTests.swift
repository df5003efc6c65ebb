import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import TapeHardware
import Testing

/// Issue 10: policies from the global configuration (the seed's keys).
@Suite("Policies from the global configuration")
struct PolicyTests {
    /// `unload_tape_cartridges_whes_media_server_starts` = yes (the seed's default): a drive
    /// holding a cartridge at start is emptied — to the cartridge's source slot — before any
    /// other task runs, even one queued earlier with a higher priority.
    @Test func drivesAreEmptiedAtStartBeforeAnyTask() async throws {
        let rig = try await TestRig.make()
        try await TapeHardware.MediumChanger(transport: rig.simulated.changerTransport, retryInterval: .zero)
            .move(from: UInt16(rig.slotAddress(2)), to: UInt16(rig.driveAddress(1)))
        #expect(rig.simulated.location(of: "E00002L9") == .drive(1))
        let move = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(7), priority: 5_000)
        try await rig.serving {
            let moved = try await rig.waitForTask(move.id)
            #expect(moved.status == .done, "\(moved.errorMessage ?? "")")
            let tasks = try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id")).items
            let unload = try #require(tasks.first { $0.type == .unload })
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            #expect(unload.driveId == rig.driveIDs[1])
            #expect(try #require(unload.finishedAt) <= (try #require(moved.startedAt)))
            #expect(rig.simulated.location(of: "E00002L9") == .slot(2))
        }
    }

    @Test func withThePolicyOffACartridgeStaysInItsDrive() async throws {
        let rig = try await TestRig.make()
        try await rig.catalog.setConfiguration(["unload_tape_cartridges_whes_media_server_starts": "no"])
        try await TapeHardware.MediumChanger(transport: rig.simulated.changerTransport, retryInterval: .zero)
            .move(from: UInt16(rig.slotAddress(2)), to: UInt16(rig.driveAddress(1)))
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            let tasks = try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id")).items
            #expect(!tasks.contains { $0.type == .unload })
            #expect(rig.simulated.location(of: "E00002L9") == .drive(1))
        }
    }

    @Test func aPolicyValueThatIsNeitherYesNorNoIsRefusedByName() throws {
        #expect(throws: LibraryServiceError.self) {
            _ = try LibraryPolicies(configuration: ["unload_tape_cartridges_whes_media_server_starts": "maybe"])
        }
        #expect(try LibraryPolicies(configuration: [:]).unloadAtStart)
        #expect(try !LibraryPolicies(configuration: ["unload_tape_cartridges_whes_media_server_starts": "no"]).unloadAtStart)
    }

    /// TapeAlert read at an unload (Bacula's policy): 14h CLEAN NOW holds the drive for a
    /// cleaning and marks the cartridge for verification; with auto_clean_tape_drives a clean
    /// task is queued, runs, and puts the drive back into service.
    @Test func cleanNowAtAnUnloadQueuesACleaningThatPutsTheDriveBack() async throws {
        let rig = try await TestRig.make()
        try await rig.catalog.setConfiguration(["auto_clean_tape_drives": "yes"])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)).id)
            rig.simulated.requireCleaning(drive: 0)
            let unload = try await rig.waitForTask(try await rig.submit(.unload, drive: 0).id)
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            let log = try await rig.catalog.log(ofLibraryTask: try #require(unload.id)).map(\.message)
            #expect(log.contains { $0.contains("needs cleaning") }, "\(log)")
            #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.lastError?.contains("verify") == true)
            let cleanTask = try #require(try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id")).items
                .first { $0.type == .clean })
            let cleaned = try await rig.waitForTask(cleanTask.id)
            #expect(cleaned.status == .done, "\(cleaned.errorMessage ?? "")")
            let drive = try #require(try await rig.catalog.drive(id: rig.driveIDs[0]))
            #expect(drive.state == .online && drive.lastCleaning != nil)
        }
    }

    /// A drive-disabling flag (1Eh hardware A) disables the drive until an operator enables it;
    /// a volume-disabling flag (07h media life) marks the cartridge error; the other drive works.
    @Test func criticalFlagsTakeTheDriveAndTheCartridgeOutOfService() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)).id)
            rig.simulated.raiseTapeAlerts([0x1E, 0x07], drive: 0)
            let unload = try await rig.waitForTask(try await rig.submit(.unload, drive: 0).id)
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .disabled)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(cartridge.status == .error)
            #expect(cartridge.lastError?.contains("Media life") == true, "\(cartridge.lastError ?? "")")
            let log = try await rig.catalog.log(ofLibraryTask: try #require(unload.id)).map(\.message)
            #expect(log.contains { $0.contains("disabled until an operator enables it") && $0.contains("1Eh") }, "\(log)")
            let refused = try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(2)).id)
            #expect(refused.errorMessage == "load failed: drive \(rig.driveIDs[0]) is disabled; enable it to run tasks on it")
            let other = try await rig.waitForTask(try await rig.submit(.load, drive: 1, source: rig.slotAddress(2)).id)
            #expect(other.status == .done, "\(other.errorMessage ?? "")")
        }
    }

    /// service_mode holds every task until it is switched off (the engine reads the
    /// configuration again at each queue poll).
    @Test func serviceModeHoldsTasksUntilItEnds() async throws {
        let rig = try await TestRig.make(queuePollInterval: .milliseconds(20))
        try await rig.catalog.setConfiguration(["service_mode": "true"])
        let move = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(7))
        try await rig.serving {
            // Several polls pass (each re-reads the configuration) and nothing starts.
            try await rig.eventually("the engine has polled") { await rig.engine.pollCount >= 5 }
            #expect(try await rig.catalog.libraryTask(id: try #require(move.id))?.status == .new)
            try await rig.catalog.setConfiguration(["service_mode": "false"])
            let moved = try await rig.waitForTask(move.id)
            #expect(moved.status == .done, "\(moved.errorMessage ?? "")")
        }
    }

    @Test func theServiceWindowHoldsTasksThatAreNotUrgent() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        func at(_ hour: Int, _ minute: Int) throws -> Date {
            try #require(calendar.date(from: DateComponents(year: 2026, month: 12, day: 4, hour: hour, minute: minute)))
        }
        let night = try LibraryPolicies(configuration: ["service_window_start": "22:00:00", "service_window_end": "06:00:00"])
        #expect(night.allowsHardwareWork(priority: 100, at: try at(23, 0), calendar: calendar))
        #expect(night.allowsHardwareWork(priority: 100, at: try at(5, 59), calendar: calendar))
        #expect(!night.allowsHardwareWork(priority: 100, at: try at(12, 0), calendar: calendar))
        #expect(night.allowsHardwareWork(priority: LibraryPolicies.urgentPriority, at: try at(12, 0), calendar: calendar))
        let day = try LibraryPolicies(configuration: ["service_window_start": "08:00:00", "service_window_end": "18:00:00"])
        #expect(day.allowsHardwareWork(priority: 100, at: try at(8, 0), calendar: calendar))
        #expect(!day.allowsHardwareWork(priority: 100, at: try at(18, 1), calendar: calendar))
        let seed = try LibraryPolicies(configuration: ["service_window_start": "00:00:00", "service_window_end": "23:59:59"])
        #expect(seed.allowsHardwareWork(priority: 0, at: try at(13, 37), calendar: calendar))
        #expect(throws: LibraryServiceError.self) {
            _ = try LibraryPolicies(configuration: ["service_window_start": "25:00"])
        }
        let held = try LibraryPolicies(configuration: ["service_mode": "true"])
        #expect(!held.allowsHardwareWork(priority: 10_000, at: try at(13, 37), calendar: calendar))
    }

    /// Finished tasks older than their status's retention period go, with their log lines.
    @Test func retentionRemovesOldFinishedTasksAndTheirLogs() async throws {
        let rig = try await TestRig.make()
        let old = try await rig.catalog.enqueue(LibraryTask(type: .sync, libraryId: rig.libraryID))
        let oldID = try #require(old.id)
        let long = Date().addingTimeInterval(-2 * 86_400)
        try await rig.catalog.updateLibraryTask(oldID, status: .done, log: (level: "info", message: "old"), now: long)
        let recent = try await rig.catalog.enqueue(LibraryTask(type: .sync, libraryId: rig.libraryID))
        let recentID = try #require(recent.id)
        try await rig.catalog.updateLibraryTask(recentID, status: .error, failure: TaskFailure(message: "x"), now: long)
        let removed = try await rig.catalog.pruneFinishedLibraryTasks(endedBefore: try LibraryPolicies(configuration: [:])
            .retentionMinutes.mapValues { Date().addingTimeInterval(-Double($0) * 60) })
        #expect(removed == 1)   // done: 1 day; error: 7 days
        #expect(try await rig.catalog.libraryTask(id: oldID) == nil)
        #expect(try await rig.catalog.log(ofLibraryTask: oldID).isEmpty)
        #expect(try await rig.catalog.libraryTask(id: recentID) != nil)
    }

    /// A drive still erasing at start (a long erase a killed service had started, IMMED: the
    /// drive carries on) cannot give its cartridge back yet: the start-up unload waits for the
    /// erase to end, then returns the cartridge home.
    @Test func theStartUpUnloadWaitsForADriveStillErasing() async throws {
        let rig = try await TestRig.make()
        try await TapeHardware.MediumChanger(transport: rig.simulated.changerTransport, retryInterval: .zero)
            .move(from: UInt16(rig.slotAddress(2)), to: UInt16(rig.driveAddress(1)))
        let drive = TapeDrive(transport: rig.simulated.driveTransport(1), retryInterval: .zero)
        _ = try? await drive.readiness()   // the power-on UNIT ATTENTION
        _ = try await drive.execute(.erase(long: true, immediate: true))
        #expect(try await drive.readiness() != .ready)
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            // The unload is queued once the start-up sync's end is recorded.
            try await rig.eventually("the start-up unload is queued") {
                try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id")).items.contains { $0.type == .unload }
            }
            let tasks = try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id")).items
            let unload = try await rig.waitForTask(try #require(tasks.first { $0.type == .unload }).id)
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "E00002L9") == .slot(2))
        }
    }
}
