/// What a SCSI device of a tape library is, from its INQUIRY peripheral device type
/// (SPC-4 table 141: 01h sequential-access device, 08h medium changer device).
public enum DeviceKind: String, Sendable, Hashable, Codable {
    case drive
    case changer

    public init?(peripheralDeviceType: Int) {
        switch peripheralDeviceType {
        case 1: self = .drive
        case 8: self = .changer
        default: return nil
        }
    }

    public var peripheralDeviceType: Int { self == .drive ? 1 : 8 }
}

/// Where a serial number came from; the first available one in this order is used.
public enum SerialSource: String, Sendable, Hashable, Codable {
    /// udev's ID_SCSI_SERIAL (scsi_id reading VPD page 80h when the device was added).
    case udev
    /// The kernel's cached copy of VPD page 80h (`/sys/…/vpd_pg80`).
    case sysfs
    /// INQUIRY VPD page 80h sent through the device's transport.
    case transport
}

/// A tape drive or medium changer as the host sees it.
public struct DiscoveredDevice: Sendable, Hashable, Codable {
    public var kind: DeviceKind
    /// The SCSI generic node tapelib talks to (`/dev/sg4`, or a simulator's path).
    public var sgPath: String
    /// Host:channel:target:LUN.
    public var address: SCSIAddress
    public var vendor: String
    public var model: String
    public var revision: String
    /// The unit serial number, nil when no source had one.
    public var serial: String?
    public var serialSource: SerialSource?
    /// The drive's rewinding `st` node, nil for changers and when the st driver is not bound.
    public var stPath: String?
    /// The drive's non-rewinding `nst` node.
    public var nstPath: String?
    /// Persistent links under /dev/tape/by-id that point at any of this device's nodes.
    public var byIdLinks: [String]

    public init(kind: DeviceKind, sgPath: String, address: SCSIAddress, vendor: String, model: String,
                revision: String, serial: String? = nil, serialSource: SerialSource? = nil,
                stPath: String? = nil, nstPath: String? = nil, byIdLinks: [String] = []) {
        self.kind = kind
        self.sgPath = sgPath
        self.address = address
        self.vendor = vendor
        self.model = model
        self.revision = revision
        self.serial = serial
        self.serialSource = serialSource
        self.stPath = stPath
        self.nstPath = nstPath
        self.byIdLinks = byIdLinks
    }
}
