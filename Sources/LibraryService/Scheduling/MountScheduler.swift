/// What a task asks of a library's robot. The robot serves one request at a time; the
/// `MountScheduler` chooses which of the waiting requests it serves next.
public struct RobotRequest: Sendable, Equatable {
    public enum Kind: Int, Sendable, Comparable {
        /// A cartridge out of a drive that finished: frees the drive for the next mount.
        case unload = 0
        /// A cartridge into a drive that waits for it.
        case load = 1
        /// Anything else: a move, an import or export, a sync's inventory.
        case other = 2

        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    public var kind: Kind
    public var priority: Int
    /// Arrival order (first come, first served among equals).
    public var sequence: UInt64
    /// Grants that went to other requests while this one waited (its age).
    public var passedOver: Int

    public init(kind: Kind, priority: Int, sequence: UInt64, passedOver: Int = 0) {
        self.kind = kind; self.priority = priority; self.sequence = sequence; self.passedOver = passedOver
    }
}

/// The robot-aware order of a library's robot work (docs/mount-scheduling.md):
/// 1. Priority first, aged: a request gains `agingStep` priority points for every grant that
///    went to another request while it waited, so none waits for ever: after
///    k = ⌈(P − p) / agingStep⌉ grants a request of priority p ranks above every request that
///    arrives later (P the highest priority there is), and is served once those that arrived
///    in its first k grants are (at most k × the arrival rate per grant more grants).
/// 2. Among equals, unloads before loads before other moves: an unload frees a drive that has
///    finished (the next mount can go there), consecutive unloads are served as a batch, and a
///    load feeds a drive that is waiting idle; a sync or a mail-slot move waits for neither.
/// 3. Then first come, first served.
/// Mounts of a cartridge already in a drive need no robot at all (consolidation).
public struct MountScheduler: Sendable, Equatable {
    public var agingStep: Int

    public init(agingStep: Int = 50) {
        self.agingStep = max(1, agingStep)
    }

    /// The effective priority of a waiting request (saturating).
    public func effectivePriority(_ request: RobotRequest) -> Int {
        let (aged, overflow) = request.passedOver.multipliedReportingOverflow(by: agingStep)
        let (sum, overflow2) = request.priority.addingReportingOverflow(aged)
        return overflow || overflow2 ? Int.max : sum
    }

    /// Which of `waiting` the robot serves next; nil when none waits.
    public func next(among waiting: [RobotRequest]) -> Int? {
        waiting.indices.min { a, b in
            let (x, y) = (waiting[a], waiting[b])
            let (px, py) = (effectivePriority(x), effectivePriority(y))
            if px != py { return px > py }
            if x.kind != y.kind { return x.kind < y.kind }
            return x.sequence < y.sequence
        }
    }
}
