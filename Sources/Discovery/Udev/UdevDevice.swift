import CUdev

/// A `udev_device` reference. Owned references are released when this wrapper goes away;
/// parents returned by libudev are borrowed and kept alive by holding the child.
final class UdevDevice {
    let handle: OpaquePointer
    private let owned: Bool
    /// Keeps the child (which owns this borrowed parent) alive.
    private let child: UdevDevice?

    init(owning handle: OpaquePointer) {
        self.handle = handle
        self.owned = true
        self.child = nil
    }

    private init(borrowing handle: OpaquePointer, child: UdevDevice) {
        self.handle = handle
        self.owned = false
        self.child = child
    }

    deinit { if owned { udev_device_unref(handle) } }

    var syspath: String { string(udev_device_get_syspath(handle)) ?? "" }
    var sysname: String { string(udev_device_get_sysname(handle)) ?? "" }
    var subsystem: String? { string(udev_device_get_subsystem(handle)) }
    var devtype: String? { string(udev_device_get_devtype(handle)) }
    var devnode: String? { string(udev_device_get_devnode(handle)) }
    /// add, remove, change, bind, … for a device received from a monitor; nil for enumerated ones.
    var action: String? { string(udev_device_get_action(handle)) }

    /// A udev property (from the udev database or a monitor event), nil when unset or empty.
    func property(_ key: String) -> String? {
        guard let value = string(udev_device_get_property_value(handle, key)), !value.isEmpty else { return nil }
        return value
    }

    /// A sysfs attribute with surrounding white space removed, nil when absent.
    func attribute(_ name: String) -> String? {
        string(udev_device_get_sysattr_value(handle, name))?.trimmingWhitespace()
    }

    /// Symlinks udev made for this device (`/dev/tape/by-id/…`); empty without a udev database.
    var devlinks: [String] { UdevList(udev_device_get_devlinks_list_entry(handle)).map(\.name) }

    /// All udev properties of this device.
    var properties: [String: String] {
        var result: [String: String] = [:]
        for entry in UdevList(udev_device_get_properties_list_entry(handle)) { result[entry.name] = entry.value ?? "" }
        return result
    }

    /// The nearest ancestor in `subsystem` (and `devtype` when given).
    func parent(subsystem: String, devtype: String? = nil) -> UdevDevice? {
        guard let parent = udev_device_get_parent_with_subsystem_devtype(handle, subsystem, devtype) else { return nil }
        return UdevDevice(borrowing: parent, child: self)
    }

    private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

/// Iterates a `udev_list_entry` chain.
struct UdevList: Sequence, IteratorProtocol {
    struct Entry {
        let name: String
        let value: String?
    }

    private var current: OpaquePointer?

    init(_ first: OpaquePointer?) { current = first }

    mutating func next() -> Entry? {
        guard let entry = current else { return nil }
        current = udev_list_entry_get_next(entry)
        let name = udev_list_entry_get_name(entry).map { String(cString: $0) } ?? ""
        let value = udev_list_entry_get_value(entry).map { String(cString: $0) }
        return Entry(name: name, value: value)
    }
}
