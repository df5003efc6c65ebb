/// Where a cartridge is in its life. Stored in tape_cartridges.status.
public enum CartridgeStatus: String, Codable, Sendable, CaseIterable {
    /// Blank or erased; may be written from the start.
    case scratch
    /// Holds data and has room for more.
    case append
    /// Holds data; no room left.
    case full
    /// Readable, must not be written (write-protect tab, drive too new, operator choice).
    case readOnly = "read_only"
    /// Media or drive errors; kept out of use until checked or formatted.
    case error
    /// A cleaning cartridge in service.
    case cleaning
    /// Taken out of service for good (worn out, expired cleaning tape).
    case retired
    /// Exported from the library / kept offline, e.g. in a vault.
    case exported
}

/// An illegal lifecycle step; names both states so the operator sees what was asked.
public struct CartridgeTransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let from: CartridgeStatus
    public let to: CartridgeStatus
    public let reason: String

    public var description: String {
        "cartridge cannot go from \(from.rawValue) to \(to.rawValue): \(reason)"
    }
}

/// The cartridge state machine. Data cartridges: scratch → append → full, erase/format back to
/// scratch (never for WORM), read-only and error as side states, retired and exported at the
/// end. Cleaning cartridges only move between cleaning, exported and retired.
public enum CartridgeLifecycle {
    /// Whether `from → to` is allowed for a cartridge with the given properties.
    public static func check(
        from: CartridgeStatus, to: CartridgeStatus, isWORM: Bool, isCleaning: Bool
    ) throws(CartridgeTransitionError) {
        if from == to { return }
        if isCleaning {
            let allowed: Set<CartridgeStatus> = [.cleaning, .exported, .retired]
            guard allowed.contains(to) else {
                throw CartridgeTransitionError(from: from, to: to, reason: "a cleaning cartridge never holds data")
            }
            if from == .retired && to != .exported {
                throw CartridgeTransitionError(from: from, to: to, reason: "a retired cartridge stays retired")
            }
            return
        }
        if to == .cleaning {
            throw CartridgeTransitionError(from: from, to: to, reason: "a data cartridge cannot become a cleaning cartridge")
        }
        if isWORM && to == .scratch {
            throw CartridgeTransitionError(from: from, to: to, reason: "WORM media can never be erased back to scratch")
        }
        guard successors(of: from).contains(to) else {
            throw CartridgeTransitionError(from: from, to: to, reason: "no such step in the cartridge lifecycle")
        }
    }

    /// Data-cartridge steps (WORM and cleaning rules applied in `check`).
    static func successors(of status: CartridgeStatus) -> Set<CartridgeStatus> {
        switch status {
        case .scratch: return [.append, .full, .readOnly, .error, .retired, .exported]
        case .append: return [.full, .scratch, .readOnly, .error, .retired, .exported]
        case .full: return [.scratch, .readOnly, .error, .retired, .exported]
        case .readOnly: return [.append, .full, .scratch, .error, .retired, .exported]
        case .error: return [.scratch, .readOnly, .retired, .exported]
        // Re-imported: the caller says what the cartridge was when it left (or scratch after a check).
        case .exported: return [.scratch, .append, .full, .readOnly, .error, .retired]
        case .retired: return [.exported]
        case .cleaning: return []
        }
    }
}
