import Foundation

/// A dedicated thread for one connection's blocking socket I/O (same design as SGTransport's
/// DeviceThread; duplicated because this module must not depend on the Linux SG stack).
final class SocketWorker: Sendable {
    private let queue = SocketJobQueue()

    init(name: String) {
        let queue = self.queue
        let thread = Thread { queue.drain() }
        thread.name = name
        thread.start()
    }

    deinit { queue.stop() }

    /// Stops the thread after the jobs already submitted have run.
    func stop() { queue.stop() }

    /// Queues `job` on the device thread without waiting for it.
    func post(_ job: @escaping @Sendable () -> Void) { queue.submit(job) }

    /// Runs `body` on the device thread and resumes the caller with its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            queue.submit { continuation.resume(returning: body()) }
        }
    }
}

/// The jobs waiting for a device thread; shared by the thread and its owner.
private final class SocketJobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            // A stopped device still answers, on a throwaway thread, so no caller hangs.
            Thread.detachNewThread(job)
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// The thread's body: runs jobs until stopped and empty.
    func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
