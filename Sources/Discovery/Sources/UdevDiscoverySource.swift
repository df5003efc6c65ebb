import SCSI
import TapeHardware

/// Opens a SCSI transport to a device node (SG_IO on a real host). Discovery does not import
/// the SG transport itself; the executable passes one in.
public typealias TransportOpener = @Sendable (String) async throws -> any SCSITransport

/// Drives and changers from libudev and sysfs, hotplug from udev's netlink monitor.
public struct UdevDiscoverySource: DiscoverySource {
    public let name = "udev"
    public var monitor: UdevMonitor
    /// When set, drives without a serial from udev or sysfs are asked for VPD page 80h.
    public var openTransport: TransportOpener?

    public init(monitor: UdevMonitor = UdevMonitor(), openTransport: TransportOpener? = nil) {
        self.monitor = monitor
        self.openTransport = openTransport
    }

    public func devices() async throws(DiscoveryError) -> [DiscoveredDevice] {
        let records = try await BlockingIO.run { () throws(DiscoveryError) -> [SCSIDeviceRecord] in
            try UdevSCSIScanner.scan()
        }
        var devices = records.compactMap(DiscoveredDevice.init(record:))
        if openTransport != nil {
            for index in devices.indices where devices[index].serial == nil {
                if let transport = try? await transport(for: devices[index].sgPath),
                   let serial = await SerialQuery.unitSerialNumber(through: transport) {
                    devices[index].serial = serial
                    devices[index].serialSource = .transport
                }
            }
        }
        return devices.sorted { $0.address < $1.address }
    }

    public func transport(for sgPath: String) async throws(DiscoveryError) -> any SCSITransport {
        guard let openTransport else {
            throw DiscoveryError(.deviceQueryFailed, "no SCSI transport configured to open \(sgPath)")
        }
        do {
            return try await openTransport(sgPath)
        } catch {
            throw DiscoveryError(.deviceQueryFailed, "cannot open \(sgPath): \(error)")
        }
    }

    public func deviceEvents() -> AsyncThrowingStream<DeviceEvent, any Error> { monitor.events() }
}

/// INQUIRY VPD page 80h through a transport.
enum SerialQuery {
    static func unitSerialNumber(through transport: any SCSITransport) async -> String? {
        guard let serial = try? await CommandRunner(transport: transport, becomingReadyTimeout: .zero).serialNumber(),
              !serial.isEmpty else { return nil }
        return serial
    }
}
