import Discovery
import SCSI
import Synchronization

/// Where the service's SCSI commands are reported (the API's metrics), attached once the
/// observer exists: the service is assembled before the API that counts its commands.
public final class SCSICommandRelay: SCSICommandObserver {
    private let target = Mutex<(any SCSICommandObserver)?>(nil)

    public init() {}

    /// Sends every command completed from now on to `observer` (replacing any earlier one).
    public func attach(_ observer: any SCSICommandObserver) { target.withLock { $0 = observer } }

    public func commandCompleted(_ outcome: SCSICommandOutcome) {
        target.withLock { $0 }?.commandCompleted(outcome)
    }
}

/// A discovery source whose transports report each command to an observer (`ObservedTransport`):
/// every command the service sends goes through a transport of its source.
struct ObservedDiscoverySource: DiscoverySource {
    let inner: any DiscoverySource
    let observer: any SCSICommandObserver

    var name: String { inner.name }

    func devices() async throws(DiscoveryError) -> [DiscoveredDevice] { try await inner.devices() }

    func transport(for sgPath: String) async throws(DiscoveryError) -> any SCSITransport {
        ObservedTransport(try await inner.transport(for: sgPath), observer: observer)
    }

    func deviceEvents() -> AsyncThrowingStream<DeviceEvent, any Error> { inner.deviceEvents() }
}
