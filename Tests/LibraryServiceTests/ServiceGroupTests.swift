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

    /// Graceful shutdown: a robot task in flight (a cleaning, whose cartridge must go home) runs to its
    /// end, so no cartridge is left in a drive or the picker; a long erase, which would outlast
    /// systemd's stop timeout, is stopped and ends `killed` with the reason; nothing new starts.
    @Test func gracefulShutdownFinishesRobotWorkAndStopsLongDriveWork() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(500))
        // The drive asked for cleaning: a cycle that ends before a poll sees it still counts.
        rig.simulated.requireCleaning(drive: 0)
        let group = ServiceGroup(configuration: .init(services: [rig.tracker, rig.engine],
                                                      logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let erase = try await rig.startLongErase(drive: 1, fromSlot: 1)
        // The erase stays in progress however long the rest takes on a loaded machine (each
        // poll of a busy simulated drive moves the shared virtual clock on by a quarter of its
        // operation, the cleaning's polls included).
        try await rig.freezeOnceErasing(drive: 1)
        let clean = try await rig.submit(.clean, drive: 0)
        try await rig.waitForTask(clean.id, "to be cleaning") { $0.phase == "cleaning" }

        await group.triggerGracefulShutdown()
        // The group signals its services asynchronously: a task queued once the engine has
        // acted on the shutdown (the long erase stopped) must not start.
        try await rig.waitForTask(erase.id, "to be stopped by the shutdown") { $0.status == .killed }
        let another = try await rig.engine.submit(LibraryTask(type: .sync, libraryId: rig.libraryID))
        try await running.value

        let cleanID = try #require(clean.id), eraseID = try #require(erase.id), anotherID = try #require(another.id)
        let cleaned = try #require(try await rig.catalog.libraryTask(id: cleanID))
        #expect(cleaned.status == .done, "\(cleaned.errorMessage ?? "") \(cleaned.phase)")
        #expect(rig.simulated.location(of: "CLN001L1") == .slot(10))
        let stopped = try #require(try await rig.catalog.libraryTask(id: eraseID))
        #expect(stopped.status == .killed, "\(stopped)")
        #expect(stopped.errorMessage?.contains("the service shut down while it ran") == true)
        #expect(try await rig.catalog.libraryTask(id: anotherID)?.status == .new)
    }
}
