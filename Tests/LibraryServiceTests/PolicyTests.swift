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
}
