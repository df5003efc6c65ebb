import Catalog
import Discovery
import LibraryService
import Logging
import ServiceLifecycle
import Testing

/// The engine and the hotplug monitor as services of one ServiceGroup, as `tapelib serve` runs
/// them: a remove event from the discovery source alone (no manual rescan) fails the task of
/// the drive that went away, and graceful shutdown waits for the task in flight.
@Suite struct ServiceGroupTests {
    @Test func hotplugRemoveFailsTheRunningTaskThroughTheMonitor() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(500))
        let group = ServiceGroup(configuration: .init(services: [rig.tracker, rig.engine],
                                                      logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        let erase = try await rig.startLongErase(drive: 0, fromSlot: 2)

        // Only the remove event: the device answers as before, so nothing but the monitor's
        // rescan can fail the task (the next erase poll is 500 ms away and would succeed).
        rig.source.remove(path: TestRig.drivePath(0))

        let failed = try await rig.waitForTask(erase.id)
        #expect(failed.status == .error)
        #expect(failed.errorMessage?.contains("drive with serial \(TestRig.driveSerials[0])") == true,
                "\(failed.errorMessage ?? "")")
        try await rig.eventually("the drive is marked offline") {
            try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .offline
        }

        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func gracefulShutdownLetsTheTaskInFlightFinish() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(500))
        let group = ServiceGroup(configuration: .init(services: [rig.tracker, rig.engine],
                                                      logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let erase = try await rig.startLongErase(drive: 1, fromSlot: 1)

        await group.triggerGracefulShutdown()
        let another = try await rig.engine.submit(LibraryTask(type: .sync, libraryId: rig.libraryID))
        // The erase is still under way; the group only returns once it has completed.
        try await Task.sleep(for: .milliseconds(50))
        let midway = try await rig.catalog.libraryTask(id: #require(erase.id))
        #expect(midway?.status == .execution, "\(String(describing: midway))")
        try await running.value
        #expect(try await rig.catalog.libraryTask(id: #require(erase.id))?.status == .done)
        // Nothing new started after the shutdown began.
        #expect(try await rig.catalog.libraryTask(id: #require(another.id))?.status == .new)
    }
}
