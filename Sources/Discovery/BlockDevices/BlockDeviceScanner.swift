import Foundation

/// Lists block devices through libudev and sysfs. Blocking: run it through `BlockingIO`.
///
/// Follows lsblk's defaults on what to leave out: RAM disks (major 1) and loop devices with
/// no backing file.
public enum BlockDeviceScanner {
    public static func scan(mounts: [MountEntry] = MountTable.current()) throws(DiscoveryError) -> [BlockDevice] {
        let udev = try UdevContext()
        var devices: [BlockDevice] = []
        for device in try udev.devices(inSubsystem: "block") {
            if let block = blockDevice(from: device, mounts: mounts) { devices.append(block) }
        }
        return devices.sorted { $0.majorMinorKey.lexicographicallyPrecedes($1.majorMinorKey) }
    }

    static func blockDevice(from device: UdevDevice, mounts: [MountEntry]) -> BlockDevice? {
        let name = device.sysname
        guard let majorMinor = device.attribute("dev"), !majorMinor.hasPrefix("1:") else { return nil }
        let backingFile = device.attribute("loop/backing_file")
        // An unattached loop device has no backing file (its partitions, loop0p1, have none either).
        if device.devtype != "partition", name.hasPrefix("loop"), backingFile == nil { return nil }

        let path = device.devnode ?? "/dev/\(name)"
        let sectors = device.attribute("size").flatMap { UInt64($0) } ?? 0
        let type = deviceType(of: device)
        let parent = type == .partition ? device.parent(subsystem: "block", devtype: "disk")?.sysname : nil

        var fsType = device.property("ID_FS_TYPE")
        var label = device.property("ID_FS_LABEL")
        var uuid = device.property("ID_FS_UUID")
        if fsType == nil, let signature = probeSignature(path) {
            (fsType, label, uuid) = (signature.type, signature.label, signature.uuid)
        }
        let mounted = mounts.filter { $0.majorMinor == majorMinor || $0.source == path }
        if fsType == nil { fsType = mounted.first?.fsType }

        return BlockDevice(
            name: name, path: path,
            size: sectors.multipliedReportingOverflow(by: 512).partialValue, // sysfs size is in 512-byte units
            type: type,
            readOnly: device.attribute("ro") == "1",
            majorMinor: majorMinor, parent: parent,
            fsType: fsType, label: label, uuid: uuid,
            mountpoints: mounted.map(\.mountPoint),
            holders: directoryNames(device.syspath + "/holders"),
            backingFile: backingFile)
    }

    static func deviceType(of device: UdevDevice) -> BlockDeviceType {
        BlockDeviceType(kernelName: device.sysname, devtype: device.devtype,
                        deviceMapperUUID: device.sysname.hasPrefix("dm-") ? device.attribute("dm/uuid") : nil)
    }

    /// The filesystem signature of a device node, nil when it cannot be opened (no permission,
    /// no medium) or carries no known signature.
    static func probeSignature(_ path: String) -> FilesystemSignature? {
        guard let bytes = try? FileBytes.read(path, limit: FilesystemSignature.probeLength) else { return nil }
        return FilesystemSignature.probe(bytes)
    }

    static func directoryNames(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}

extension BlockDevice {
    /// Sort key: major then minor number.
    var majorMinorKey: [Int] { majorMinor.split(separator: ":").map { Int($0) ?? 0 } }
}
