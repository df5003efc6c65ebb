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

    public init(source: EventSource = .udev, subsystems: [String] = ["scsi_generic"],
                requiredProperty: String? = UdevMonitor.tagProperty) {
        self.source = source
        self.subsystems = subsystems
        self.requiredProperty = requiredProperty
    }

    /// Starts a monitor thread; it stops when the stream's consumer goes away.
    public func events() -> AsyncThrowingStream<DeviceEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: DeviceEvent.self, throwing: (any Error).self)
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            continuation.finish(throwing: DiscoveryError(.io, "pipe for the udev monitor failed", errno: errno))
            return stream
        }
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        let wakeRead = pipeFDs[0]
        let wakeWrite = pipeFDs[1]
        continuation.onTermination = { _ in
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
        let configuration = self
        let thread = Thread {
            configuration.receiveLoop(continuation: continuation, wakeFD: wakeRead)
            close(wakeRead)
            close(wakeWrite)
        }
        thread.name = "tapelib-udev-monitor"
        thread.start()
        return stream
    }

    private func receiveLoop(continuation: AsyncThrowingStream<DeviceEvent, any Error>.Continuation, wakeFD: Int32) {
        guard let udev = udev_new() else {
            continuation.finish(throwing: DiscoveryError(.udevUnavailable, "udev_new failed"))
            return
        }
        defer { udev_unref(udev) }
        guard let monitor = udev_monitor_new_from_netlink(udev, source.rawValue) else {
            continuation.finish(throwing: DiscoveryError(.udevUnavailable,
                "cannot open the \(source.rawValue) netlink monitor (no permission, or no netlink in this namespace)"))
            return
        }
        defer { udev_monitor_unref(monitor) }
        for subsystem in subsystems {
            _ = udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystem, nil)
        }
        let status = udev_monitor_enable_receiving(monitor)
        guard status >= 0 else {
            continuation.finish(throwing: DiscoveryError(.udevUnavailable, "udev_monitor_enable_receiving failed",
                                                         errno: -status))
            return
        }
        let monitorFD = udev_monitor_get_fd(monitor)
        while true {
            var fds = [pollfd(fd: monitorFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
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
            guard fds[0].revents & Int16(POLLIN) != 0, let handle = udev_monitor_receive_device(monitor) else { continue }
            let device = UdevDevice(owning: handle)
            if let requiredProperty, device.property(requiredProperty) != "1" { continue }
            let event = DeviceEvent(action: DeviceEvent.Action(rawValue: device.action ?? "") ?? .other,
                                    subsystem: device.subsystem ?? "", sysname: device.sysname,
                                    devnode: device.devnode)
            if case .terminated = continuation.yield(event) { return }
        }
    }
}
