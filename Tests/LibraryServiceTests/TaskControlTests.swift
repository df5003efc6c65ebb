import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import Testing

/// Issue 10: the seed's task controls — kill, pause, continue, restart — on the engine.
@Suite("Task controls: kill, pause, continue, restart")
struct TaskControlTests {
    /// The refusal text of a control that does not apply.
    private func refusal(_ rig: TestRig, _ id: Int64?, _ action: TaskControlAction) async throws -> String? {
        let taskID = try #require(id)
        do {
            _ = try await rig.engine.control(taskID, action)
            return nil
        } catch {
            if case .catalog(let catalogError) = error, case .conflict(let why) = catalogError { return why }
            Issue.record("expected a conflict, got \(error)")
            return nil
        }
    }

    @Test func aPausedTaskWaitsUntilContinuedAndRestartRunsAFailedTaskAgain() async throws {
        let rig = try await TestRig.make()
        let move = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(6))
        let moveID = try #require(move.id)
        let paused = try await rig.engine.control(moveID, .pause)
        #expect(paused == .applied(paused.task) && paused.task.status == .suspended)
        #expect(try await refusal(rig, moveID, .pause) == "task \(moveID) is already paused")
        try await rig.serving {
            // A later task runs past the held one.
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            #expect(try await rig.catalog.libraryTask(id: moveID)?.status == .suspended)
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))

            _ = try await rig.engine.control(moveID, .continue)
            let moved = try await rig.waitForTask(moveID)
            #expect(moved.status == .done, "\(moved.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "E00001L9") == .slot(6))
            #expect(try await refusal(rig, moveID, .continue)?.contains("already ended as done") == true)
            #expect(try await refusal(rig, moveID, .restart) == "task \(moveID) ended done; there is nothing to restart")
            #expect(try await refusal(rig, moveID, .kill)?.contains("nothing to kill") == true)

            // A move into a full slot fails; once the slot is free, a restart runs it again as attempt 2.
            let blocked = try await rig.waitForTask(
                try await rig.submit(.move, source: rig.slotAddress(2), target: rig.slotAddress(5)).id)
            #expect(blocked.status == .error)
            let blockedID = try #require(blocked.id)
            try await rig.waitForTask(try await rig.submit(.move, source: rig.slotAddress(5), target: rig.slotAddress(7)).id)
            let restarted = try await rig.engine.control(blockedID, .restart)
            #expect(restarted.task.attempt == 2 && restarted.task.status == .new && restarted.task.errorMessage == nil)
            let second = try await rig.waitForTask(blockedID)
            #expect(second.status == .done, "\(second.errorMessage ?? "")")
            #expect(second.attempt == 2)
            #expect(rig.simulated.location(of: "E00002L9") == .slot(5))
            let log = try await rig.catalog.log(ofLibraryTask: blockedID).map(\.message)
            #expect(log.contains { $0.hasPrefix("attempt 1 ended error: move failed:") && $0.contains("as attempt 2") },
                    "\(log)")
        }
    }

    @Test func aRunningTaskCannotBePausedOrContinued() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(50))
        try await rig.serving {
            let erase = try await rig.startLongErase(drive: 0, fromSlot: 1)
            #expect(try await refusal(rig, erase.id, .pause)?.contains("is running and has no point to resume from") == true)
            #expect(try await refusal(rig, erase.id, .continue) == "task \(erase.id ?? 0) is running, not paused")
            #expect(try await refusal(rig, erase.id, .restart)?.contains("has not ended") == true)
            rig.driveDevices[0].setAdvancePerNotReady(.seconds(86_400))
            #expect(try await rig.waitForTask(erase.id).status == .done)
        }
    }

    /// Kill during a cleaning cycle: no library takes a cleaner out of a drive mid-cycle, so
    /// the cycle finishes, the cleaner goes back to its slot, the cleaning is counted (it
    /// happened), and the task ends killed saying so; the catalog agrees with the library.
    @Test func killingACleaningLetsTheCycleFinishAndReturnsTheCleanerHome() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(20))
        rig.simulated.requireCleaning(drive: 0)
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let clean = try await rig.submit(.clean, drive: 0)
            try await rig.waitForTask(clean.id, "to clean") { $0.phase == "cleaning" }
            #expect(rig.simulated.location(of: "CLN001L1") == .drive(0))
            let cleanID = try #require(clean.id)
            let outcome = try await rig.engine.control(cleanID, .kill)
            #expect(outcome == .requested(outcome.task))
            rig.driveDevices[0].setAdvancePerNotReady(.seconds(3_600))
            let killed = try await rig.waitForTask(clean.id)
            #expect(killed.status == .killed)
            #expect(killed.errorMessage?.contains("clean killed by request, stopped after its last step") == true,
                    "\(killed.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "CLN001L1") == .slot(10))
            let cleaner = try #require(try await rig.catalog.cartridge(volumeTag: "CLN001L1"))
            let slotID = try #require(cleaner.slotId)
            let slot = try #require(try await rig.catalog.slot(id: slotID))
            #expect(slot.elementAddress == rig.slotAddress(10))
            #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.lastCleaning != nil)
            // The library goes on working.
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(2)).id)
            #expect(load.status == .done, "\(load.errorMessage ?? "")")
        }
    }

    /// Kill during an IMMED long erase: SSC offers no way to stop an ERASE in progress, so the
    /// drive finishes, its outcome is recorded, and the task ends killed saying so.
    @Test func killingALongEraseLetsTheDriveFinishAndSaysSo() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(20))
        try await rig.serving {
            let erase = try await rig.startLongErase(drive: 1, fromSlot: 2)
            let eraseID = try #require(erase.id)
            _ = try await rig.engine.control(eraseID, .kill)
            rig.driveDevices[1].setAdvancePerNotReady(.seconds(86_400))
            let killed = try await rig.waitForTask(erase.id)
            #expect(killed.status == .killed)
            #expect(killed.errorMessage?.contains("could not be stopped from finishing") == true, "\(killed.errorMessage ?? "")")
            #expect(try await rig.catalog.cartridge(volumeTag: "E00002L9")?.status == .scratch)
        }
    }

    /// A queued or paused task killed never runs; the kill is logged once.
    @Test func aKilledQueuedTaskNeverRuns() async throws {
        let rig = try await TestRig.make()
        let move = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(9))
        let held = try await rig.submit(.move, source: rig.slotAddress(2), target: rig.slotAddress(8))
        _ = try await rig.engine.control(try #require(held.id), .pause)
        let moveID = try #require(move.id), heldID = try #require(held.id)
        #expect(try await rig.engine.control(moveID, .kill).task.status == .killed)
        #expect(try await rig.engine.control(heldID, .kill).task.status == .killed)
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))
            #expect(rig.simulated.location(of: "E00002L9") == .slot(2))
        }
        #expect(try await rig.catalog.log(ofLibraryTask: moveID).count == 1)
    }

    /// A task paused before a crash is still held after the restart (not broken).
    @Test func aPausedTaskSurvivesARestartHeld() async throws {
        let rig = try await TestRig.make()
        let move = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(9))
        let moveID = try #require(move.id)
        _ = try await rig.engine.control(moveID, .pause)
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            #expect(try await rig.catalog.libraryTask(id: moveID)?.status == .suspended)
        }
    }
}
