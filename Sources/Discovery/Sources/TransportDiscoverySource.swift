import Foundation
import SCSI

/// A discovery source over devices registered with a transport each — the simulator's
/// devices (hwsim), or any other transport. It mirrors the udev source: devices have sg-style
/// paths and addresses, their identity is read through the transport (INQUIRY, VPD 80h) as
/// udev's scsi_id reads it from real hardware, and registering or removing a device is a
/// hotplug event.
public final class TransportDiscoverySource: DiscoverySource, @unchecked Sendable {
    public let name: String

    private struct Registration {
        var path: String
        var address: SCSIAddress
        var transport: any SCSITransport
    }

    // Guarded by `lock`; the lock is never held across an await.
    private let lock = NSLock()
    private var registrations: [Registration] = []
    private var subscribers: [Int: AsyncThrowingStream<DeviceEvent, any Error>.Continuation] = [:]
    private var nextSubscriber = 0

    public init(name: String = "hwsim") {
        self.name = name
    }

    /// Registers a device under `path` (e.g. "/dev/sg3" or "hwsim:/run/hwsim.sock#3") and
    /// announces it as added. A device already at `path` is replaced.
    public func add(path: String, address: SCSIAddress, transport: any SCSITransport) {
        let continuations = lock.withLock {
            registrations.removeAll { $0.path == path }
            registrations.append(Registration(path: path, address: address, transport: transport))
            return Array(subscribers.values)
        }
        let event = DeviceEvent(action: .add, subsystem: "scsi_generic", sysname: Self.sysname(path), devnode: path)
        for continuation in continuations { continuation.yield(event) }
    }

    /// Unregisters the device at `path` and announces it as removed.
    public func remove(path: String) {
        let (removed, continuations) = lock.withLock {
            let before = registrations.count
            registrations.removeAll { $0.path == path }
            return (registrations.count != before, Array(subscribers.values))
        }
        guard removed else { return }
        let event = DeviceEvent(action: .remove, subsystem: "scsi_generic", sysname: Self.sysname(path), devnode: path)
        for continuation in continuations { continuation.yield(event) }
    }

    public func devices() async throws(DiscoveryError) -> [DiscoveredDevice] {
        let current = lock.withLock { registrations }
        var devices: [DiscoveredDevice] = []
        for registration in current {
            // A device that does not answer INQUIRY is not offered (as udev would not see it).
            guard let inquiry = try? await ChangerQuery.standardInquiry(sgPath: registration.path,
                                                                        through: registration.transport),
                  let kind = DeviceKind(peripheralDeviceType: Int(inquiry.deviceType.rawValue)) else { continue }
            let serial = await SerialQuery.unitSerialNumber(through: registration.transport)
            devices.append(DiscoveredDevice(kind: kind, sgPath: registration.path, address: registration.address,
                                            vendor: inquiry.vendor, model: inquiry.product,
                                            revision: inquiry.revision, serial: serial,
                                            serialSource: serial == nil ? nil : .transport))
        }
        return devices.sorted { $0.address < $1.address }
    }

    public func transport(for sgPath: String) async throws(DiscoveryError) -> any SCSITransport {
        guard let transport = lock.withLock({ registrations.first { $0.path == sgPath }?.transport }) else {
            throw DiscoveryError(.deviceNotFound, "no device registered at \(sgPath)")
        }
        return transport
    }

    public func deviceEvents() -> AsyncThrowingStream<DeviceEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: DeviceEvent.self, throwing: (any Error).self)
        let id = lock.withLock {
            let id = nextSubscriber
            nextSubscriber += 1
            subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.lock.withLock { _ = self?.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    private static func sysname(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
