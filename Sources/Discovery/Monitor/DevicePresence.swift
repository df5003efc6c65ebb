/// A drive or changer the library service has registered, identified by serial number (the
/// sg number can change across a reconnect; the serial does not).
public struct RegisteredDevice: Sendable, Hashable, Codable {
    public var serial: String
    public var kind: DeviceKind

    public init(serial: String, kind: DeviceKind) {
        self.serial = serial
        self.kind = kind
    }
}

/// The error a running task fails with when its device disappears.
public struct DeviceOfflineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var device: RegisteredDevice
    /// The node it was last seen at.
    public var lastPath: String?

    public init(device: RegisteredDevice, lastPath: String?) {
        self.device = device
        self.lastPath = lastPath
    }

    public var description: String {
        guard let lastPath else {
            return "\(device.kind.rawValue) with serial \(device.serial) was not found on this host; "
                + "it is offline until it is connected"
        }
        return "\(device.kind.rawValue) with serial \(device.serial) (\(lastPath)) disappeared from this host; "
            + "it is offline until it is reconnected"
    }
}

/// Where a registered device is now.
public enum DevicePresence: Sendable, Hashable {
    case online(DiscoveredDevice)
    case offline(DeviceOfflineError)
}

/// A change the device tracker reports.
public enum PresenceChange: Sendable, Hashable {
    /// A registered device disappeared: tasks using it must fail with this error.
    case wentOffline(DeviceOfflineError)
    /// A registered device is back at the same node.
    case cameBack(RegisteredDevice, DiscoveredDevice)
    /// A registered device is back (or moved) under another node: re-bind it to `device`.
    case rebound(RegisteredDevice, from: String?, to: DiscoveredDevice)
    /// The set of visible drives and changers changed: candidate lists are stale.
    case inventoryChanged(added: [DiscoveredDevice], removed: [DiscoveredDevice])
}

/// Compares two scans for the registered devices. Pure.
public enum PresenceDiff {
    public static func changes(registered: [RegisteredDevice: DevicePresence],
                               before: [DiscoveredDevice], after: [DiscoveredDevice])
        -> (changes: [PresenceChange], presence: [RegisteredDevice: DevicePresence]) {
        var changes: [PresenceChange] = []
        let beforePaths = Set(before.map(\.sgPath))
        let afterPaths = Set(after.map(\.sgPath))
        let added = after.filter { !beforePaths.contains($0.sgPath) }
        let removed = before.filter { !afterPaths.contains($0.sgPath) }
        if !added.isEmpty || !removed.isEmpty {
            changes.append(.inventoryChanged(added: added, removed: removed))
        }

        var presence = registered
        for (device, state) in registered.sorted(by: { $0.key.serial < $1.key.serial }) {
            let key = CandidateGrouping.normalized(device.serial)
            let matches = after.filter { $0.kind == device.kind && CandidateGrouping.normalized($0.serial) == key }
            // Several nodes with one serial cannot be told apart: keep the current one if it is
            // among them, otherwise treat the device as not found.
            let current: DiscoveredDevice?
            switch state {
            case .online(let known): current = matches.first { $0.sgPath == known.sgPath } ?? (matches.count == 1 ? matches.first : nil)
            case .offline: current = matches.count == 1 ? matches.first : nil
            }
            switch (state, current) {
            case (.online(let known), nil):
                let error = DeviceOfflineError(device: device, lastPath: known.sgPath)
                presence[device] = .offline(error)
                changes.append(.wentOffline(error))
            case (.online(let known), let now?) where known.sgPath != now.sgPath:
                presence[device] = .online(now)
                changes.append(.rebound(device, from: known.sgPath, to: now))
            case (.online, let now?):
                presence[device] = .online(now)
            case (.offline(let error), let now?):
                presence[device] = .online(now)
                if error.lastPath == now.sgPath {
                    changes.append(.cameBack(device, now))
                } else {
                    changes.append(.rebound(device, from: error.lastPath, to: now))
                }
            case (.offline, nil):
                break
            }
        }
        return (changes, presence)
    }
}
