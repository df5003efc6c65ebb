import Foundation
import Testing
@testable import SGTransport
import SCSI

@Suite("DeviceThread")
struct DeviceThreadTests {
    /// N devices each blocked in a long call (a read from an empty pipe stands in for an SG_IO
    /// ioctl that takes minutes) must leave the cooperative pool free: on this 2-core machine
    /// the pool has 2 threads, so 4 blocked calls on the pool would stall the ticker below.
    @Test("devices blocked in long commands do not starve other async work", .timeLimit(.minutes(1)))
    func blockedDevicesDoNotStarvePool() async throws {
        let deviceCount = max(4, ProcessInfo.processInfo.activeProcessorCount * 2)
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<deviceCount {
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            pipes.append((fds[0], fds[1]))
        }
        let threads = (0..<deviceCount).map { DeviceThread(name: "test-dev-\($0)") }
        let blocked = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, thread) in threads.enumerated() {
                let fd = pipes[index].read
                group.addTask {
                    await thread.run {
                        var byte: UInt8 = 0
                        return read(fd, &byte, 1)
                    }
                }
            }
            // Other async work keeps running while every device is blocked.
            var ticks = 0
            // Generous under a loaded parallel test run; a starved pool would give no ticks at all.
            let deadline = ContinuousClock.now + .seconds(30)
            while ticks < 20 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
                ticks += 1
            }
            #expect(ticks == 20, "the cooperative pool stalled while devices were busy")
            for pipe in pipes { _ = write(pipe.write, [UInt8(1)], 1) }
            var finished = 0
            for try await bytesRead in group where bytesRead == 1 { finished += 1 }
            return finished
        }
        #expect(blocked == deviceCount)
        for pipe in pipes {
            close(pipe.read)
            close(pipe.write)
        }
    }

    @Test("jobs on one device run in submission order")
    func serialOrder() async {
        let thread = DeviceThread(name: "order")
        let log = OrderLog()
        await withTaskGroup(of: Void.self) { group in
            for value in 0..<50 { thread.post { log.append(value) } }
            group.addTask { await thread.run { log.append(50) } }
        }
        #expect(log.values == Array(0...50))
    }
}

/// An actor pinned to a device thread, as a device actor is.
actor PinnedDevice {
    let thread: DeviceThread
    init(thread: DeviceThread) { self.thread = thread }
    nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }
    func currentThread() -> UInt { UInt(pthread_self()) }
}

@Test("an actor whose executor is a device thread runs on that thread")
func actorOnDeviceThread() async {
    let thread = DeviceThread(name: "pinned-device")
    let device = PinnedDevice(thread: thread)
    let actorThread = await device.currentThread()
    let deviceThread = await thread.run { UInt(pthread_self()) }
    let otherThread = await DeviceThread(name: "other").run { UInt(pthread_self()) }
    #expect(actorThread == deviceThread)
    #expect(actorThread != otherThread)
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int] = []
    func append(_ value: Int) { lock.withLock { storage.append(value) } }
    var values: [Int] { lock.withLock { storage } }
}
