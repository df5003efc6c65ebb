/// One library's robot: held only while it moves cartridges (and while the catalog reads back
/// what it moved), so that a drive threading, rewinding, erasing or cleaning does not keep the
/// robot from serving the other drives. When several tasks wait, the `MountScheduler` chooses
/// who goes next (priority with aging, unloads before loads, then arrival order).
actor RobotLock {
    private let scheduler: MountScheduler
    private var held = false
    private var sequence: UInt64 = 0
    private var waiters: [(request: RobotRequest, continuation: CheckedContinuation<Void, Never>)] = []

    init(scheduler: MountScheduler = MountScheduler()) {
        self.scheduler = scheduler
    }

    func acquire(_ kind: RobotRequest.Kind, priority: Int) async {
        sequence &+= 1
        guard held else {
            held = true
            return
        }
        let request = RobotRequest(kind: kind, priority: priority, sequence: sequence)
        await withCheckedContinuation { waiters.append((request, $0)) }
    }

    /// How many tasks wait for the robot (for tests).
    var waitingCount: Int { waiters.count }

    func release() {
        guard let chosen = scheduler.next(among: waiters.map(\.request)) else {
            held = false
            return
        }
        let next = waiters.remove(at: chosen)
        for index in waiters.indices { waiters[index].request.passedOver += 1 }
        // Handed over: the robot stays held, by the request chosen.
        next.continuation.resume()
    }
}
