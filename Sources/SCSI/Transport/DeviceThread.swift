import Foundation

/// One dedicated OS thread that runs a device's blocking calls (open, SG_IO ioctl, socket or
/// iSCSI I/O, close) one at a time, in submission order. It lives in SCSI (Foundation only,
/// no I/O of its own) because every transport needs it.
///
/// Blocking syscalls must never run on Swift's cooperative pool (it has one thread per core):
/// a few drives busy in a 20-minute REWIND would otherwise stall every other task in the
/// process. Async callers suspend on a continuation while the thread works.
public final class DeviceThread: Sendable {
    private let queue = DeviceJobQueue()

    public init(name: String) {
        let queue = self.queue
        let thread = Thread { queue.drain() }
        thread.name = name
        thread.start()
    }

    deinit { queue.stop() }

    /// Stops the thread after the jobs already submitted have run.
    public func shutdown() { queue.stop() }

    /// Queues `job` on the device thread without waiting for it.
    public func post(_ job: @escaping @Sendable () -> Void) { queue.submit(job) }

    /// Runs `body` on the device thread and resumes the caller with its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            queue.submit { continuation.resume(returning: body()) }
        }
    }
}

/// The jobs waiting for a device thread; shared by the thread and its owner.
private final class DeviceJobQueue: @unchecked Sendable {
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

/// A device thread is also a serial executor, so a device's actor can run on the same thread
/// as its blocking calls (`nonisolated var unownedExecutor { thread.asUnownedSerialExecutor() }`):
/// multi-command sequences then never interleave, and nothing of the device runs on the pool.
extension DeviceThread: SerialExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        post { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
