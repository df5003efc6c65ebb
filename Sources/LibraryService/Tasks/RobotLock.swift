/// One library's robot: held only while it moves cartridges (and while the catalog reads back
/// what it moved), so that a drive threading, rewinding, erasing or cleaning does not keep the
/// robot from serving the other drives. Waiters are served in arrival order.
actor RobotLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        guard !waiters.isEmpty else {
            held = false
            return
        }
        // Handed over: the robot stays held, by the next waiter.
        waiters.removeFirst().resume()
    }
}
