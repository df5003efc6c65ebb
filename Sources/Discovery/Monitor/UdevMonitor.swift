import CUdev
import Foundation

/// Receives udev (or kernel) uevents on a dedicated thread: the blocking poll never runs on
/// Swift's cooperative pool.
public struct UdevMonitor: Sendable {
    /// Which netlink group to listen to.
    public enum EventSource: String, Sendable {
        /// Events after udevd processed its rules (properties and ENV tags set): production.
        case udev
        /// Raw kernel uevents, before rules: for hosts without udevd (containers, tests).
        case kernel
    }

    /// The udev property tapelib's rules set on the sg nodes of drives and changers
    /// (udev/61-tapelib.rules: ENV{TAPELIB}="1").
    public static let tagProperty = "TAPELIB"

    public var source: EventSource
    public var subsystems: [String]
    /// Only events whose device has this property set to "1" pass; nil passes all.
    public var requiredProperty: String?

    /// udev's events when udevd runs (its control socket exists), the kernel's otherwise: a
    /// udev monitor on a host without udevd would open fine and never receive anything.
    public static var availableSource: EventSource {
        access("/run/udev/control", F_OK) == 0 ? .udev : .kernel
    }

    public init(source: EventSource = UdevMonitor.availableSource, subsystems: [String] = ["scsi_generic"],
                requiredProperty: String? = UdevMonitor.tagProperty) {
        self.source = source
        self.subsystems = subsystems
        self.requiredProperty = requiredProperty
    }

    /// Opens the netlink socket now (so no event after this call is missed) and receives on a
    /// thread of its own; the thread stops when the stream's consumer goes away.
    public func events() -> AsyncThrowingStream<DeviceEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: DeviceEvent.self, throwing: (any Error).self)
        let opened: OpenMonitor
        do {
            opened = try open()
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let wakeWrite = opened.wakeWrite
        continuation.onTermination = { _ in
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
        let requiredProperty = self.requiredProperty
        let thread = Thread {
            Self.receiveLoop(opened, requiredProperty: requiredProperty, continuation: continuation)
            opened.close()
        }
        thread.name = "tapelib-udev-monitor"
        thread.start()
        return stream
    }

    /// A monitor handed from the opening thread to the receiving thread, used by one at a time.
    private struct OpenMonitor: @unchecked Sendable {
        let udev: OpaquePointer
        let monitor: OpaquePointer
        let wakeRead: Int32
        let wakeWrite: Int32

        func close() {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            _ = Foundation.close(wakeRead)
            _ = Foundation.close(wakeWrite)
        }
    }

    private func open() throws(DiscoveryError) -> OpenMonitor {
        guard let udev = udev_new() else { throw DiscoveryError(.udevUnavailable, "udev_new failed") }
        guard let monitor = udev_monitor_new_from_netlink(udev, source.rawValue) else {
            udev_unref(udev)
            throw DiscoveryError(.udevUnavailable,
                "cannot open the \(source.rawValue) netlink monitor (no permission, or no netlink in this namespace)")
        }
        for subsystem in subsystems {
            _ = udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystem, nil)
        }
        let status = udev_monitor_enable_receiving(monitor)
        var pipeFDs: [Int32] = [-1, -1]
        guard status >= 0, pipe(&pipeFDs) == 0 else {
            let error = status < 0 ? -status : errno
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw DiscoveryError(.udevUnavailable, "cannot start receiving \(source.rawValue) events", errno: error)
        }
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        return OpenMonitor(udev: udev, monitor: monitor, wakeRead: pipeFDs[0], wakeWrite: pipeFDs[1])
    }

    private static func receiveLoop(_ opened: OpenMonitor, requiredProperty: String?,
                                    continuation: AsyncThrowingStream<DeviceEvent, any Error>.Continuation) {
        let monitorFD = udev_monitor_get_fd(opened.monitor)
        while true {
            var fds = [pollfd(fd: monitorFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: opened.wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                continuation.finish(throwing: DiscoveryError(.io, "poll on the udev monitor failed", errno: errno))
                return
            }
            if fds[1].revents != 0 {
                continuation.finish()
                return
            }
            guard fds[0].revents & Int16(POLLIN) != 0,
                  let handle = udev_monitor_receive_device(opened.monitor) else { continue }
            let device = UdevDevice(owning: handle)
            let action = DeviceEvent.Action(rawValue: device.action ?? "") ?? .other
            // Remove events pass regardless: what udev stored for the device may be gone. Without
            // tapelib's rules installed the tag is missing, so a drive or changer is also
            // recognised by its scsi_device's peripheral type.
            if let requiredProperty, action != .remove, device.property(requiredProperty) != "1",
               !isTapeLibraryDevice(device) { continue }
            let event = DeviceEvent(action: action, subsystem: device.subsystem ?? "", sysname: device.sysname,
                                    devnode: device.devnode)
            if case .terminated = continuation.yield(event) { return }
        }
    }

    private static func isTapeLibraryDevice(_ device: UdevDevice) -> Bool {
        guard let type = device.parent(subsystem: "scsi", devtype: "scsi_device")?.attribute("type").flatMap(Int.init) else {
            return false
        }
        return DeviceKind(peripheralDeviceType: type) != nil
    }
}
