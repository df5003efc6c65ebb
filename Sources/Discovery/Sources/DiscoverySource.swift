import SCSI

/// A hotplug event for a device a discovery source watches.
public struct DeviceEvent: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case add, remove, change, other
    }

    public var action: Action
    public var subsystem: String
    /// Kernel name (sg3) or a simulator's device name.
    public var sysname: String
    public var devnode: String?

    public init(action: Action, subsystem: String, sysname: String, devnode: String?) {
        self.action = action
        self.subsystem = subsystem
        self.sysname = sysname
        self.devnode = devnode
    }
}

/// Where changers and drives come from: udev on a real host, or a simulator's registry.
/// The API's candidate endpoints and the device tracker work the same over either.
public protocol DiscoverySource: Sendable {
    /// A short name for logs: "udev", "hwsim".
    var name: String { get }

    /// The drives and changers present now.
    func devices() async throws(DiscoveryError) -> [DiscoveredDevice]

    /// A transport to the device at `sgPath`, for INQUIRY, VPD and READ ELEMENT STATUS.
    func transport(for sgPath: String) async throws(DiscoveryError) -> any SCSITransport

    /// Add/remove events from now on. Each call is a new subscription; it ends when the
    /// consumer stops iterating (or throws when the event source cannot be opened).
    func deviceEvents() -> AsyncThrowingStream<DeviceEvent, any Error>
}
