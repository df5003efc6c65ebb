import Foundation

/// The file type of a directory entry (the S_IFMT bits of its mode).
public enum FileEntryType: String, Sendable, Hashable, Codable {
    case file
    case directory
    case symlink
    case blockDevice = "block_device"
    case characterDevice = "character_device"
    case fifo
    case socket
    case unknown

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .file
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        case S_IFBLK: self = .blockDevice
        case S_IFCHR: self = .characterDevice
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        default: self = .unknown
        }
    }
}

/// Why an entry is listed without all of its details.
public enum EntryProblem: String, Sendable, Hashable, Codable {
    /// The entry (or a symlink's target) exists but this process may not read it.
    case permissionDenied = "permission_denied"
    /// A symlink whose target does not exist.
    case danglingSymlink = "dangling_symlink"
    /// A symlink that resolves to itself through a chain of links (ELOOP).
    case symlinkLoop = "symlink_loop"
    /// A symlink whose target lies outside the configured roots: its target is not examined.
    case targetOutsideRoots = "target_outside_roots"
    /// lstat failed for another reason (the entry vanished, an I/O error, …).
    case unavailable
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable, Hashable, Codable {
    public var name: String
    public var path: String
    /// The entry itself (a symlink is `.symlink`; what it points at is `targetType`).
    public var type: FileEntryType
    /// Size in bytes from lstat (for a symlink: the length of its target text).
    public var size: Int64?
    public var modified: Date?
    /// Permission bits with setuid/setgid/sticky (mode & 07777).
    public var mode: UInt32?
    /// A symlink's target as written in the link.
    public var symlinkTarget: String?
    /// A symlink's resolved target type, when the target is inside the roots and can be reached.
    public var targetType: FileEntryType?
    /// Whether this process can read it (for directories: read and search).
    public var readable: Bool
    public var problem: EntryProblem?
}

/// The entries of one directory, sorted by name.
public struct DirectoryListing: Sendable, Hashable, Codable {
    /// The directory's canonical path (symlinks resolved).
    public var path: String
    public var entries: [DirectoryEntry]
    /// True when the directory had more entries than the listing's limit.
    public var truncated: Bool
}

/// Why a directory could not be listed.
public struct ListingError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The path (after resolving symlinks) is not inside any configured root.
        public static let outsideRoots = Code(rawValue: "outside-roots")
        public static let notFound = Code(rawValue: "not-found")
        public static let notADirectory = Code(rawValue: "not-a-directory")
        public static let permissionDenied = Code(rawValue: "permission-denied")
        public static let symlinkLoop = Code(rawValue: "symlink-loop")
        public static let invalidPath = Code(rawValue: "invalid-path")
        public static let io = Code(rawValue: "io")
    }

    public var code: Code
    public var path: String
    public var errno: Int32?

    public init(_ code: Code, path: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.errno = errno
    }

    public var description: String {
        switch code {
        case .outsideRoots: return "\(path) is outside the directories this host exposes"
        case .notFound: return "\(path) does not exist"
        case .notADirectory: return "\(path) is not a directory"
        case .permissionDenied: return "permission denied reading \(path)"
        case .symlinkLoop: return "\(path) is a symlink loop"
        case .invalidPath: return "\(path) is not an absolute path"
        default: return "cannot list \(path)" + (errno.map { ": \(String(cString: strerror($0)))" } ?? "")
        }
    }
}
