import SCSI

/// What udev and sysfs say about one SCSI generic node, as plain values. Built by
/// `UdevSCSIScanner`; turned into a `DiscoveredDevice` by `DiscoveredDevice.init(record:)`.
struct SCSIDeviceRecord: Sendable, Hashable {
    struct TapeNode: Sendable, Hashable {
        /// Kernel name: st0, nst0, st0l, nst0a, …
        var name: String
        var devnode: String?
        var properties: [String: String]
        var devlinks: [String]
    }

    /// Kernel name of the sg node (sg3).
    var sgName: String
    var sgDevnode: String?
    /// sysfs name of the parent scsi_device, "H:C:T:L".
    var scsiDeviceName: String
    /// Attributes of the scsi_device: type, vendor, model, rev.
    var attributes: [String: String]
    var sgProperties: [String: String]
    var sgDevlinks: [String]
    /// Contents of the scsi_device's `vpd_pg80`, nil when the kernel did not read the page.
    var vpdPage80: [UInt8]?
    var tapeNodes: [TapeNode]
    /// /dev/tape/by-id links found by resolving the directory's symlinks (for hosts without a
    /// udev database, where `devlinks` is empty).
    var resolvedByIdLinks: [String]
}

extension DiscoveredDevice {
    /// A drive or changer from its udev record; nil for any other peripheral type or an
    /// unparseable address.
    init?(record: SCSIDeviceRecord) {
        guard let typeText = record.attributes["type"], let type = Int(typeText),
              let kind = DeviceKind(peripheralDeviceType: type),
              let address = SCSIAddress(hctl: record.scsiDeviceName) else { return nil }

        let st = record.tapeNodes.first { $0.name.hasPrefix("st") && $0.name.dropFirst(2).allSatisfy(\.isNumber) }
        let nst = record.tapeNodes.first { $0.name.hasPrefix("nst") && $0.name.dropFirst(3).allSatisfy(\.isNumber) }

        var serial: String?
        var source: SerialSource?
        // scsi_id exports ID_SCSI_SERIAL on the sg node (changers, and drives with tapelib's rules)
        // and on the st/nst nodes (systemd's tape rules).
        let propertySets = [record.sgProperties] + [st, nst].compactMap { $0?.properties }
        if let fromUdev = propertySets.lazy.compactMap({ $0["ID_SCSI_SERIAL"]?.trimmingWhitespace() })
            .first(where: { !$0.isEmpty }) {
            serial = fromUdev
            source = .udev
        } else if let page = record.vpdPage80, let fromSysfs = try? UnitSerialNumber(parsing: page).serial,
                  !fromSysfs.isEmpty {
            serial = fromSysfs
            source = .sysfs
        }

        let allLinks = record.sgDevlinks + record.tapeNodes.flatMap(\.devlinks) + record.resolvedByIdLinks
        let byId = Set(allLinks.filter { $0.hasPrefix("/dev/tape/by-id/") }).sorted()

        self.init(kind: kind,
                  sgPath: record.sgDevnode ?? "/dev/\(record.sgName)",
                  address: address,
                  vendor: record.attributes["vendor"] ?? "",
                  model: record.attributes["model"] ?? "",
                  revision: record.attributes["rev"] ?? "",
                  serial: serial,
                  serialSource: source,
                  stPath: kind == .drive ? st.map { $0.devnode ?? "/dev/\($0.name)" } : nil,
                  nstPath: kind == .drive ? nst.map { $0.devnode ?? "/dev/\($0.name)" } : nil,
                  byIdLinks: byId)
    }
}
