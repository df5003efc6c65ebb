import Discovery
import HWSim
import Logging
import ServiceLifecycle
import Testing

/// The hotplug monitor as a service of a ServiceGroup: it starts with the group, keeps the
/// presence of registered devices current, and returns on graceful shutdown.
@Suite struct DeviceTrackerServiceTests {
    @Test func runsInAServiceGroupAndStopsOnGracefulShutdown() async throws {
        let simulated = try SimulatedLibrary(profile: .named("autoloader"))
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg1", address: SCSIAddress(host: 3, channel: 0, target: 1, lun: 0),
                   transport: simulated.driveTransport(0))
        let tracker = DeviceTracker(source: source, pollInterval: .milliseconds(50))
        let group = ServiceGroup(configuration: .init(services: [tracker], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        let drive = RegisteredDevice(serial: "1097000001", kind: .drive)
        guard case .online = try await tracker.register(drive) else {
            Issue.record("the simulated drive should be online")
            return
        }
        let changes = await tracker.changes()
        var iterator = changes.makeAsyncIterator()
        source.remove(path: "/dev/sg1")
        var wentOffline = false
        while !wentOffline, let change = await iterator.next() {
            if case .wentOffline = change { wentOffline = true }
        }
        #expect(wentOffline)

        await group.triggerGracefulShutdown()
        try await running.value   // returns: the tracker ended its loop
    }
}
