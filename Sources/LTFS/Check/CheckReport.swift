/// A check's verdict on a cartridge.
public enum LTFSVerdict: String, Sendable, Hashable, Codable, Comparable {
    /// Labels, indexes and attributes agree.
    case consistent
    /// An LTFS volume a repair can make consistent without losing indexed data.
    case recoverable
    /// An LTFS volume a repair cannot fix (or only with a deep recovery).
    case inconsistent
    /// Holds data that is not an LTFS volume.
    case notLTFS = "not-ltfs"
    /// Holds nothing (partitioned or not).
    case blank

    /// Exit status of `tapelib ltfs check`: 0 consistent, 1 recoverable, 2 otherwise.
    public var exitCode: Int32 {
        switch self {
        case .consistent: return 0
        case .recoverable: return 1
        case .inconsistent, .notLTFS, .blank: return 2
        }
    }

    private var severity: Int {
        switch self {
        case .consistent: return 0
        case .recoverable: return 1
        case .inconsistent: return 2
        case .notLTFS: return 3
        case .blank: return 4
        }
    }

    public static func < (a: LTFSVerdict, b: LTFSVerdict) -> Bool { a.severity < b.severity }
}

/// One index as a check found it.
public struct LTFSIndexSummary: Sendable, Hashable, Codable {
    public var partition: String
    public var generation: UInt64
    public var location: String
    public var previousGenerationLocation: String?
    public var updateTime: String
}

/// One partition's volume coherency attribute as read.
public struct LTFSCoherencySummary: Sendable, Hashable, Codable {
    public var partition: String
    public var volumeChangeReference: UInt64
    public var generation: UInt64
    public var indexStartBlock: UInt64
    public var volumeUUID: String
}

/// What the cartridge says about the volume (from its labels, newest index and attributes).
public struct LTFSVolumeDetails: Sendable, Hashable, Codable {
    public var volumeUUID: String
    public var volumeName: String?
    public var volumeSerial: String
    public var barcode: String?
    public var blockSize: Int
    public var compression: Bool
    public var formatTime: String
    public var formatVersion: String
    public var creator: String
    public var indexes: [LTFSIndexSummary]
    public var currentIndex: LTFSIndexSummary?
    public var coherency: [LTFSCoherencySummary]
    public var volumeChangeReference: UInt64?
}

/// A check's result: verdict, why, what a repair would do, and the volume's details.
public struct LTFSCheckReport: Sendable, Hashable, Codable {
    public var verdict: LTFSVerdict
    /// Problems found, most important first.
    public var problems: [String]
    /// What a repair would do (for `recoverable`); nothing is done by the check.
    public var repairs: [String]
    public var volume: LTFSVolumeDetails?

    public init(verdict: LTFSVerdict, problems: [String] = [], repairs: [String] = [], volume: LTFSVolumeDetails? = nil) {
        self.verdict = verdict
        self.problems = problems
        self.repairs = repairs
        self.volume = volume
    }

    /// Human-readable lines for the CLI.
    public var lines: [String] {
        var out = ["verdict: \(verdict.rawValue)"]
        out += problems.map { "problem: \($0)" }
        out += repairs.map { "a repair would: \($0)" }
        if let v = volume {
            out.append("volume uuid: \(v.volumeUUID)")
            out.append("volume name: \(v.volumeName ?? "(none)")")
            out.append("volume serial: \(v.volumeSerial.isEmpty ? "(none)" : v.volumeSerial)")
            if let barcode = v.barcode { out.append("barcode: \(barcode)") }
            out.append("block size: \(v.blockSize)")
            out.append("compression: \(v.compression)")
            out.append("format time: \(v.formatTime)")
            out.append("format version: \(v.formatVersion)")
            out.append("creator: \(v.creator)")
            for index in v.indexes {
                out.append("index on \(index.partition): generation \(index.generation) at \(index.location)"
                           + (index.previousGenerationLocation.map { ", previous at \($0)" } ?? ""))
            }
            if let current = v.currentIndex {
                out.append("current index: generation \(current.generation) at \(current.location)")
            }
            for c in v.coherency {
                out.append("coherency \(c.partition): generation \(c.generation) at block \(c.indexStartBlock), VCR \(c.volumeChangeReference)")
            }
        }
        return out
    }
}
