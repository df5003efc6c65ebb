import Foundation

/// Enumerates SCSI generic nodes of tape drives and changers through libudev. Blocking (sysfs
/// reads): call from `BlockingIO`, not from the cooperative pool.
enum UdevSCSIScanner {
    static let byIdDirectory = "/dev/tape/by-id"

    static func scan() throws(DiscoveryError) -> [SCSIDeviceRecord] {
        let udev = try UdevContext()
        let links = resolvedLinks(in: byIdDirectory)
        var records: [SCSIDeviceRecord] = []
        for sg in try udev.devices(inSubsystem: "scsi_generic") {
            if let record = try record(for: sg, in: udev, links: links) { records.append(record) }
        }
        return records
    }

    /// The record of one sg device, nil when its scsi_device is not a drive or changer.
    static func record(for sg: UdevDevice, in udev: UdevContext,
                       links: [String: [String]]) throws(DiscoveryError) -> SCSIDeviceRecord? {
        guard let scsiDevice = sg.parent(subsystem: "scsi", devtype: "scsi_device") else { return nil }
        guard let type = scsiDevice.attribute("type").flatMap(Int.init),
              DeviceKind(peripheralDeviceType: type) != nil else { return nil }

        var tapeNodes: [SCSIDeviceRecord.TapeNode] = []
        for tape in try udev.devices(inSubsystem: "scsi_tape", below: scsiDevice) {
            tapeNodes.append(.init(name: tape.sysname, devnode: tape.devnode,
                                   properties: tape.properties, devlinks: tape.devlinks))
        }
        let nodes = [sg.devnode].compactMap { $0 } + tapeNodes.compactMap(\.devnode)
        var attributes: [String: String] = [:]
        for name in ["type", "vendor", "model", "rev"] { attributes[name] = scsiDevice.attribute(name) }

        return SCSIDeviceRecord(
            sgName: sg.sysname,
            sgDevnode: sg.devnode,
            scsiDeviceName: scsiDevice.sysname,
            attributes: attributes,
            sgProperties: sg.properties,
            sgDevlinks: sg.devlinks,
            vpdPage80: readBinary(scsiDevice.syspath + "/vpd_pg80"),
            tapeNodes: tapeNodes,
            resolvedByIdLinks: nodes.flatMap { links[$0] ?? [] })
    }

    /// Symlinks in `directory` keyed by the device node they resolve to.
    static func resolvedLinks(in directory: String) -> [String: [String]] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
        var result: [String: [String]] = [:]
        for name in names {
            let link = directory + "/" + name
            guard let target = realpath(link, nil) else { continue }
            defer { free(target) }
            result[String(cString: target), default: []].append(link)
        }
        return result
    }

    /// A small binary sysfs attribute (`udev_device_get_sysattr_value` stops at the first NUL).
    static func readBinary(_ path: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4096), !data.isEmpty else { return nil }
        return [UInt8](data)
    }
}
