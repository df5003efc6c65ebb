/// One logical object on a partition: a record or a filemark (SSC-4 3.1.43, 3.1.29).
public enum TapeObject: Sendable, Equatable {
    case record([UInt8])
    case filemark
    /// A record whose bytes the simulator did not keep (a library that keeps only lengths, for
    /// throughput benchmarks): positions, capacity and early warning as for a record; reading
    /// it is a MEDIUM ERROR.
    case unretained(length: Int)

    var byteCount: Int64 {
        switch self {
        case .record(let r): return Int64(r.count)
        case .unretained(let length): return Int64(length)
        case .filemark: return 0
        }
    }
}

/// The logical objects of one partition, in order, followed by end of data unless it is
/// missing (a damaged medium). Records are stored as the arrays the initiator sent: no copy.
public struct TapePartition: Sendable, Equatable {
    public var objects: [TapeObject]
    /// False when the partition has no end-of-data mark after its last object.
    public var hasEndOfData: Bool
    /// Capacity of this partition in bytes.
    public var capacity: Int64
    /// Bytes of records currently on the partition.
    public private(set) var usedBytes: Int64

    public init(capacity: Int64, objects: [TapeObject] = [], hasEndOfData: Bool = true) {
        self.capacity = capacity
        self.objects = objects
        self.hasEndOfData = hasEndOfData
        self.usedBytes = objects.reduce(0) { $0 + $1.byteCount }
    }

    public var endOfData: Int { objects.count }
    /// Early warning sits 2 % of the partition before its physical end (at least one byte).
    public var earlyWarningBoundary: Int64 { capacity - max(1, capacity / 50) }
    public var remaining: Int64 { max(0, capacity - usedBytes) }

    /// Drops every object from `position` on (a write there makes it the new end of data).
    mutating func truncate(at position: Int) {
        guard position < objects.count else { hasEndOfData = true; return }
        for i in position..<objects.count { usedBytes -= objects[i].byteCount }
        objects.removeSubrange(position...)
        hasEndOfData = true
    }

    mutating func append(_ object: TapeObject) {
        usedBytes += object.byteCount
        objects.append(object)
    }

    /// Number of filemarks before `position` (the logical file identifier, SSC-4 4.2.7).
    func filemarks(before position: Int) -> Int {
        var n = 0
        for i in 0..<min(position, objects.count) where objects[i] == .filemark { n += 1 }
        return n
    }
}
