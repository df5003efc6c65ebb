/// What kind of block device a node is.
public enum BlockDeviceType: String, Sendable, Hashable, Codable {
    case disk
    case partition
    case loop
    /// An LVM logical volume (device-mapper target whose dm/uuid starts with "LVM-").
    case lvm
    /// A Linux software RAID array (md driver).
    case md
    case zram
    /// Another device-mapper target (dm-crypt, multipath, …).
    case deviceMapper = "dm"
    /// An optical drive (sr).
    case rom
}

extension BlockDeviceType {
    /// Classifies a block device from what sysfs says: its kernel name, its devtype
    /// ("disk" or "partition") and, for device-mapper nodes, `dm/uuid`.
    public init(kernelName name: String, devtype: String?, deviceMapperUUID: String?) {
        if devtype == "partition" {
            self = .partition
        } else if name.hasPrefix("loop") {
            self = .loop
        } else if name.hasPrefix("zram") {
            self = .zram
        } else if name.hasPrefix("md") {
            self = .md
        } else if name.hasPrefix("sr") {
            self = .rom
        } else if name.hasPrefix("dm-") {
            // LVM names its device-mapper targets' uuids "LVM-<vg uuid><lv uuid>".
            self = deviceMapperUUID?.hasPrefix("LVM-") == true ? .lvm : .deviceMapper
        } else {
            self = .disk
        }
    }
}

/// A block device on this host that could hold backups.
public struct BlockDevice: Sendable, Hashable, Codable {
    /// Kernel name: vda, vda1, loop0, dm-0, md0, zram0.
    public var name: String
    public var path: String
    /// Size in bytes.
    public var size: UInt64
    public var type: BlockDeviceType
    public var readOnly: Bool
    /// "major:minor".
    public var majorMinor: String
    /// The disk a partition belongs to (kernel name), nil for whole devices.
    public var parent: String?
    public var fsType: String?
    public var label: String?
    public var uuid: String?
    /// Where it is mounted, from /proc/self/mountinfo.
    public var mountpoints: [String]
    /// Kernel names of the devices stacked on this one (dm, md, …), from sysfs `holders/`.
    public var holders: [String]
    /// The file behind a loop device.
    public var backingFile: String?

    public init(name: String, path: String, size: UInt64, type: BlockDeviceType, readOnly: Bool,
                majorMinor: String, parent: String? = nil, fsType: String? = nil, label: String? = nil,
                uuid: String? = nil, mountpoints: [String] = [], holders: [String] = [],
                backingFile: String? = nil) {
        self.name = name
        self.path = path
        self.size = size
        self.type = type
        self.readOnly = readOnly
        self.majorMinor = majorMinor
        self.parent = parent
        self.fsType = fsType
        self.label = label
        self.uuid = uuid
        self.mountpoints = mountpoints
        self.holders = holders
        self.backingFile = backingFile
    }
}
