import CUdev

/// One libudev library context (`udev_new`).
///
/// libudev objects are not thread-safe: a context and every device taken from it are used on
/// the thread that made them, and dropped there. Scans create a fresh context each time.
final class UdevContext {
    let handle: OpaquePointer

    init() throws(DiscoveryError) {
        guard let handle = udev_new() else {
            throw DiscoveryError(.udevUnavailable, "udev_new failed: libudev could not start")
        }
        self.handle = handle
    }

    deinit { udev_unref(handle) }

    /// The devices of `subsystem` as sysfs shows them now (`udev_enumerate_scan_devices`).
    func devices(inSubsystem subsystem: String) throws(DiscoveryError) -> [UdevDevice] {
        try enumerate { enumeration in udev_enumerate_add_match_subsystem(enumeration, subsystem) }
    }

    /// The devices of `subsystem` below `parent` in the sysfs tree (`udev_enumerate_add_match_parent`).
    func devices(inSubsystem subsystem: String, below parent: UdevDevice) throws(DiscoveryError) -> [UdevDevice] {
        try enumerate { enumeration in
            let status = udev_enumerate_add_match_subsystem(enumeration, subsystem)
            return status < 0 ? status : udev_enumerate_add_match_parent(enumeration, parent.handle)
        }
    }

    /// The device at a sysfs path (`udev_device_new_from_syspath`), nil when it is gone.
    func device(atSyspath syspath: String) -> UdevDevice? {
        guard let handle = udev_device_new_from_syspath(self.handle, syspath) else { return nil }
        return UdevDevice(owning: handle)
    }

    private func enumerate(_ addMatches: (OpaquePointer) -> Int32) throws(DiscoveryError) -> [UdevDevice] {
        guard let enumeration = udev_enumerate_new(handle) else {
            throw DiscoveryError(.udevUnavailable, "udev_enumerate_new failed")
        }
        defer { udev_enumerate_unref(enumeration) }
        let matchStatus = addMatches(enumeration)
        guard matchStatus >= 0 else {
            throw DiscoveryError(.udevUnavailable, "udev enumeration filter failed", errno: -matchStatus)
        }
        let scanStatus = udev_enumerate_scan_devices(enumeration)
        guard scanStatus >= 0 else {
            throw DiscoveryError(.udevUnavailable, "udev_enumerate_scan_devices failed", errno: -scanStatus)
        }
        var devices: [UdevDevice] = []
        for entry in UdevList(udev_enumerate_get_list_entry(enumeration)) {
            // A device may vanish between the scan and this lookup: skip it.
            if let device = self.device(atSyspath: entry.name) { devices.append(device) }
        }
        return devices
    }
}
