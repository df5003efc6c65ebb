import GRDB

/// Pool types as destination_storage_types names them.
public enum PoolType: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case tapeLibrary = "Tape library"
    case fileSystem = "File system"
    case blockDevice = "Block device"
}

/// Storage-target health (seed 004: `Bpstate`).
public enum PoolHealth: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case healthy, degraded, faulty, unknown
}

/// Kind of a changer element (SMC-3 element type codes 1–4).
public enum SlotKind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case storage
    case importExport = "import_export"
    case drive
    case transport

    /// Decodes the stored kind from its first letter, which differs for each kind (reconcile
    /// reads tens of thousands of these; the CHECK constraint guarantees the full word).
    init?(leadingByte: UInt8) {
        switch leadingByte {
        case UInt8(ascii: "s"): self = .storage
        case UInt8(ascii: "i"): self = .importExport
        case UInt8(ascii: "d"): self = .drive
        case UInt8(ascii: "t"): self = .transport
        default: return nil
        }
    }

    /// The cartridge location implied by sitting in an element of this kind.
    public var cartridgeLocation: CartridgeLocation {
        switch self {
        case .storage, .transport: return .slot
        case .importExport: return .importExport
        case .drive: return .drive
        }
    }
}

public enum CartridgeLocation: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case slot
    case drive
    case importExport = "import_export"
    case offline
    case vault

    /// Whether the location is inside a library (then the cartridge has a slot).
    public var isInLibrary: Bool { self == .slot || self == .drive || self == .importExport }
}

extension CartridgeStatus: DatabaseValueConvertible {}

public enum LTFSState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case unknown
    case notFormatted = "not_formatted"
    case consistent
    case inconsistent
    case unreadable
}

public enum DriveState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case online, offline, busy
    case needsCleaning = "needs_cleaning"
    case disabled
}

/// What a format task writes (schema v4).
public enum FormatKind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// FORMAT MEDIUM: one partition, no data.
    case plain
    /// An LTFS volume, as mkltfs writes it.
    case ltfs
}

/// Whether a registered changer is visible on the host (schema v4).
public enum ChangerState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case online, offline
}

public enum LibrarySyncState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case never, syncing, synced, failed
}

/// The seed's task statuses (see SeedV1.taskStatuses).
public enum TaskStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case new, assigned, start, execution, transmission, suspended, done, error, killed, broken, obsoleted

    public var isFinal: Bool {
        switch self {
        case .done, .error, .killed, .broken, .obsoleted: return true
        default: return false
        }
    }
}

public enum BackupTaskType: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case backup, restore, copy, move, verify
}

public enum LibraryTaskType: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case sync, load, unload, move, `import`, export, erase, format
    case checkLTFS = "check_ltfs"
    case clean
}

public enum BackupType: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case full, incremental, differential
}

public enum ScheduledJobKind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case librarySync = "library_sync"
    case driveCleaning = "drive_cleaning"
    case copyToTape = "copy_to_tape"
}

/// Execution outcome (seed 003 job logs: SUCCESS / FAILED).
public enum ExecutionStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case running = "RUNNING"
    case success = "SUCCESS"
    case failed = "FAILED"
    case cancelled = "CANCELLED"
}

public enum CopyState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case inProgress = "in_progress"
    case complete, failed
}

/// How a tape pool lays records out on its cartridges (docs/tape-format.md).
public enum TapeFormat: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// A tape file per record part: header, data records, trailer, filemark.
    case native
    /// The record is a file of the cartridge's LTFS volume.
    case ltfs
}
