/// Keeps the list of visible drives and changers current from a discovery source's hotplug
/// events, and tracks the registered ones by serial: a registered device that disappears is
/// reported offline (its tasks fail with `DeviceOfflineError`), one that comes back under
/// another sg node is re-bound.
///
/// `run()` is the long-running part (a service in the ServiceGroup; conform it with
/// `extension DeviceTracker: Service {}` where ServiceLifecycle is imported).
public actor DeviceTracker {
    public let source: any DiscoverySource
    public private(set) var devices: [DiscoveredDevice] = []
    private var presence: [RegisteredDevice: DevicePresence] = [:]
    private var subscribers: [Int: AsyncStream<PresenceChange>.Continuation] = [:]
    private var nextSubscriber = 0

    /// How often to rescan when the source delivers no hotplug events.
    public let pollInterval: Duration

    public init(source: any DiscoverySource, pollInterval: Duration = .seconds(30)) {
        self.source = source
        self.pollInterval = pollInterval
    }

    /// Starts tracking a registered device; it is bound to the visible device with its serial.
    public func register(_ device: RegisteredDevice) async throws(DiscoveryError) -> DevicePresence {
        if devices.isEmpty { devices = try await source.devices() }
        let key = CandidateGrouping.normalized(device.serial)
        let state: DevicePresence
        if let found = devices.first(where: { $0.kind == device.kind && CandidateGrouping.normalized($0.serial) == key }) {
            state = .online(found)
        } else {
            state = .offline(DeviceOfflineError(device: device, lastPath: nil))
        }
        presence[device] = state
        return state
    }

    public func unregister(_ device: RegisteredDevice) {
        presence[device] = nil
    }

    public func presence(of device: RegisteredDevice) -> DevicePresence? { presence[device] }

    /// Changes from now on, for each subscriber.
    public func changes() -> AsyncStream<PresenceChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: PresenceChange.self)
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeSubscriber(id) }
        }
        return stream
    }

    private func removeSubscriber(_ id: Int) { subscribers[id] = nil }

    /// Scans started and the newest one applied: a scan that finishes after a newer one
    /// (the monitor's and a task's rescan overlapping) is stale and dropped.
    private var scansStarted = 0
    private var newestScanApplied = 0

    /// Rescans the source and reports what changed.
    @discardableResult
    public func refresh() async throws(DiscoveryError) -> [PresenceChange] {
        scansStarted += 1
        let scan = scansStarted
        let scanned = try await source.devices()
        guard scan > newestScanApplied else { return [] }
        newestScanApplied = scan
        let (changes, newPresence) = PresenceDiff.changes(registered: presence, before: devices, after: scanned)
        devices = scanned
        presence = newPresence
        for change in changes {
            for subscriber in subscribers.values { subscriber.yield(change) }
        }
        return changes
    }

    /// Rescans after hotplug events until cancelled. A scan after events (rather than applying
    /// them one by one) keeps the state right even when events were missed; a burst of events
    /// (a library powering on) collapses into one pending scan. When the source cannot deliver
    /// events (no netlink in a container), it rescans every `pollInterval` instead. A failed
    /// scan is kept in `lastError` and does not end the service. (`run()` is the same loop
    /// as a ServiceLifecycle service.)
    public func monitor() async throws {
        await refreshRecordingError()
        let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let events = source.deviceEvents()
        let pollInterval = self.pollInterval
        let feeder = Task.detached {
            do {
                for try await _ in events { tick.yield() }
            } catch {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    tick.yield()
                }
            }
            tick.finish()
        }
        await withTaskCancellationHandler {
            for await _ in ticks {
                if Task.isCancelled { break }
                await refreshRecordingError()
            }
        } onCancel: {
            feeder.cancel()
            tick.finish()
        }
        feeder.cancel()
        try Task.checkCancellation()
    }

    /// The error of the last failed scan, nil after a successful one.
    public private(set) var lastError: DiscoveryError?

    private func refreshRecordingError() async {
        do throws(DiscoveryError) {
            try await refresh()
            lastError = nil
        } catch {
            lastError = error
        }
    }
}
