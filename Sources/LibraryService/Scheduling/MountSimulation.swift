/// A discrete-event model of a library's mounts in simulated time, for testing and measuring
/// robot orders without hardware time: one robot, `drives` drives, and mount requests that
/// each load a cartridge, work, and unload it. Durations come from the caller (the tests and
/// the bench take hwsim's timing model: 8 s per robot move, threading and unload times per LTO
/// generation). The engine's own rules are modelled: a queued mount goes to the first free
/// drive in priority order (then arrival), and the robot is taken only for the moves, in the
/// order the policy chooses among the waiting requests.
public struct MountSimulation: Sendable {
    public struct Timing: Sendable {
        /// One robot move (slot to drive, drive to slot).
        public var move: Double
        /// The drive threading and becoming ready after the load move.
        public var load: Double
        /// The drive rewinding and unthreading before the unload move.
        public var unload: Double

        public init(move: Double, load: Double, unload: Double) {
            self.move = move; self.load = load; self.unload = unload
        }
    }

    public struct Mount: Sendable {
        public var priority: Int
        /// Seconds the drive works on the cartridge.
        public var work: Double
        public init(priority: Int = 100, work: Double) { self.priority = priority; self.work = work }
    }

    public enum Policy: Sendable {
        /// The engine: the robot taken for moves only, waiting requests ordered by the scheduler.
        case scheduled(MountScheduler)
        /// Mounts and robot requests in arrival order, priorities ignored; the robot taken for
        /// moves only.
        case firstComeFirstServed
        /// Before this issue: mounts in submission order, and a load or unload held the robot
        /// for its whole cycle (the move and the drive's threading, or the drive's rewind and
        /// the move).
        case robotHeldPerCycle
    }

    public struct Result: Sendable {
        /// When the last cartridge was back in its slot.
        public var makespan: Double
        /// Seconds the robot moved (2 moves per mount).
        public var robotBusy: Double
        /// max(robot moves, each drive's share of the drives' own work): no order can beat it.
        public var lowerBound: Double
        /// When each mount's load move began, by mount index.
        public var started: [Double]
        /// Longest wait of any mount from its arrival (time 0) to its load move.
        public var longestWait: Double
    }

    public var drives: Int
    public var timing: Timing

    public init(drives: Int, timing: Timing) {
        self.drives = max(1, drives)
        self.timing = timing
    }

    private enum Step { case load, unload }
    private struct Waiting { var request: RobotRequest; var mount: Int; var drive: Int; var step: Step }
    private enum Event { case workDone, unthreaded, home }

    /// Runs every mount (all queued at time 0) to its end.
    public func run(_ mounts: [Mount], policy: Policy) -> Result {
        let heldPerCycle: Bool = if case .robotHeldPerCycle = policy { true } else { false }
        var started = Array(repeating: -1.0, count: mounts.count)
        // Queue order of the engine's dispatch: priority, then arrival (first come, first served:
        // arrival only).
        var queue: [Int]
        if case .scheduled = policy {
            queue = mounts.indices.sorted { mounts[$0].priority != mounts[$1].priority
                ? mounts[$0].priority > mounts[$1].priority : $0 < $1 }
        } else {
            queue = Array(mounts.indices)
        }
        var driveFree = Array(repeating: true, count: drives)
        var waiting: [Waiting] = []
        var events: [(time: Double, event: Event, mount: Int, drive: Int)] = []
        var sequence: UInt64 = 0
        var now = 0.0
        var robotFreeAt = 0.0
        var robotBusy = 0.0
        var finished = 0
        var makespan = 0.0

        func request(_ mount: Int, _ drive: Int, _ step: Step) {
            sequence += 1
            waiting.append(Waiting(request: RobotRequest(kind: step == .load ? .load : .unload,
                                                         priority: mounts[mount].priority, sequence: sequence),
                                   mount: mount, drive: drive, step: step))
        }
        func dispatch() {
            for drive in 0..<drives where driveFree[drive] && !queue.isEmpty {
                driveFree[drive] = false
                request(queue.removeFirst(), drive, .load)
            }
        }
        dispatch()
        while finished < mounts.count {
            if robotFreeAt <= now, !waiting.isEmpty {
                let chosen: Int
                if case .scheduled(let scheduler) = policy {
                    chosen = scheduler.next(among: waiting.map(\.request)) ?? 0
                } else {
                    chosen = waiting.indices.min { waiting[$0].request.sequence < waiting[$1].request.sequence } ?? 0
                }
                let grant = waiting.remove(at: chosen)
                for index in waiting.indices { waiting[index].request.passedOver += 1 }
                robotBusy += timing.move
                switch grant.step {
                case .load:
                    started[grant.mount] = now
                    let ready = now + timing.move + timing.load
                    robotFreeAt = heldPerCycle ? ready : now + timing.move
                    events.append((ready + mounts[grant.mount].work, .workDone, grant.mount, grant.drive))
                case .unload:
                    // Held per cycle, the robot was taken before the drive's rewind and unthread.
                    let home = now + (heldPerCycle ? timing.unload : 0) + timing.move
                    robotFreeAt = home
                    events.append((home, .home, grant.mount, grant.drive))
                }
                continue
            }
            let nextEvent = events.map(\.time).min()
            let nextRobot: Double? = waiting.isEmpty || robotFreeAt <= now ? nil : robotFreeAt
            guard let next = [nextEvent, nextRobot].compactMap({ $0 }).min() else { break }
            now = max(now, next)
            let due = events.filter { $0.time <= now }.sorted { $0.time < $1.time }
            events.removeAll { $0.time <= now }
            for item in due {
                switch item.event {
                case .workDone:
                    if heldPerCycle {
                        request(item.mount, item.drive, .unload)
                    } else {
                        events.append((item.time + timing.unload, .unthreaded, item.mount, item.drive))
                    }
                case .unthreaded:
                    request(item.mount, item.drive, .unload)
                case .home:
                    finished += 1
                    makespan = max(makespan, item.time)
                    driveFree[item.drive] = true
                    dispatch()
                }
            }
        }
        let driveWork = mounts.reduce(0) { $0 + timing.move * 2 + timing.load + $1.work + timing.unload }
        let lowerBound = max(Double(mounts.count) * 2 * timing.move, driveWork / Double(drives))
        return Result(makespan: makespan, robotBusy: robotBusy, lowerBound: lowerBound, started: started,
                      longestWait: started.max() ?? 0)
    }

    /// The workload the tests and the bench measure: `count` mounts each working 20–80 s on its
    /// cartridge, every fifth one urgent (priority 500), from a seeded SplitMix64 so every run
    /// sees the same mounts.
    public static func sampleWorkload(count: Int = 200, seed: UInt64 = 10) -> [Mount] {
        var state = seed
        return (0..<max(0, count)).map { index in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Mount(priority: index % 5 == 4 ? 500 : 100, work: 20 + Double(z % 61))
        }
    }
}
