import Foundation
import HWSim
@testable import LibraryService
import Testing

/// Issue 10: the robot-aware mount scheduler (docs/mount-scheduling.md).
@Suite("Mount scheduler: robot order, and 200 mounts over 8 drives in simulated time")
struct MountSchedulerTests {
    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// hwsim's timing model for an LTO-9 library: 8 s per robot move, 18 s to thread, 24 s to
    /// rewind and unthread.
    private var lto9: MountSimulation.Timing {
        .init(move: seconds(TimingModel.robotMove), load: seconds(TimingModel.load(.lto9)),
              unload: seconds(TimingModel.unload(.lto9)))
    }

    /// 200 mounts, each working 20–80 s, every fifth one urgent (MountSimulation.sampleWorkload).
    /// The robot is the bottleneck: 8 drives finish a mount every ~(8+18+50+24+8)/8 ≈ 13.5 s on
    /// average, the robot needs 16 s per mount.
    private func mounts() -> [MountSimulation.Mount] { MountSimulation.sampleWorkload() }

    @Test func theScheduledOrderKeepsTheRobotWithinTenPercentOfItsLowerBound() {
        let simulation = MountSimulation(drives: 8, timing: lto9)
        let work = mounts()
        let scheduled = simulation.run(work, policy: .scheduled(MountScheduler()))
        let fcfs = simulation.run(work, policy: .firstComeFirstServed)
        let held = simulation.run(work, policy: .robotHeldPerCycle)
        let ratio = scheduled.makespan / scheduled.lowerBound
        print("mount scheduling, 200 mounts over 8 drives (hwsim LTO-9 timing, simulated): lower bound "
              + "\(Int(scheduled.lowerBound)) s; scheduled \(Int(scheduled.makespan)) s (× \(String(format: "%.3f", ratio))); "
              + "first come first served \(Int(fcfs.makespan)) s (× \(String(format: "%.3f", fcfs.makespan / fcfs.lowerBound))); "
              + "robot held per load/unload cycle \(Int(held.makespan)) s (× \(String(format: "%.2f", held.makespan / held.lowerBound)))")
        #expect(scheduled.robotBusy == 200 * 2 * 8)
        #expect(ratio <= 1.10, "makespan \(scheduled.makespan) s, lower bound \(scheduled.lowerBound) s")
        // Taking the robot for moves only is what keeps it busy; the order among its requests
        // decides who waits (below), not how long the whole batch takes.
        #expect(abs(scheduled.makespan - fcfs.makespan) <= 0.02 * fcfs.makespan)
        #expect(held.makespan > 1.5 * scheduled.makespan)
        #expect(scheduled.started.allSatisfy { $0 >= 0 })
    }

    /// Urgent mounts start before ordinary ones — sooner than in arrival order.
    @Test func prioritiesAreRespected() {
        let simulation = MountSimulation(drives: 8, timing: lto9)
        let work = mounts()
        let result = simulation.run(work, policy: .scheduled(MountScheduler()))
        let fcfs = simulation.run(work, policy: .firstComeFirstServed)
        func meanStart(_ priority: Int, _ run: MountSimulation.Result) -> Double {
            let starts = work.indices.filter { work[$0].priority == priority }.map { run.started[$0] }
            return starts.reduce(0, +) / Double(starts.count)
        }
        #expect(meanStart(500, result) < meanStart(100, result) / 2)
        #expect(meanStart(500, result) < meanStart(500, fcfs) / 2)
        #expect(result.longestWait <= result.makespan)
    }

    @Test func theRobotServesPriorityThenUnloadsThenArrival() throws {
        let scheduler = MountScheduler(agingStep: 50)
        let waiting = [
            RobotRequest(kind: .load, priority: 100, sequence: 1),
            RobotRequest(kind: .other, priority: 100, sequence: 2),
            RobotRequest(kind: .unload, priority: 100, sequence: 3),
            RobotRequest(kind: .unload, priority: 100, sequence: 4),
            RobotRequest(kind: .load, priority: 300, sequence: 5),
        ]
        #expect(scheduler.next(among: waiting) == 4)                       // priority first
        #expect(scheduler.next(among: Array(waiting.prefix(4))) == 2)      // then unloads, oldest first
        #expect(scheduler.next(among: [waiting[0], waiting[1]]) == 0)      // a load before a move
        #expect(scheduler.next(among: []) == nil)
        // Aging: a request passed over 5 times (5 × 50 points) overtakes one 200 points above it.
        let aged = RobotRequest(kind: .other, priority: 100, sequence: 9, passedOver: 5)
        #expect(scheduler.next(among: [RobotRequest(kind: .load, priority: 300, sequence: 10), aged]) == 1)
        #expect(scheduler.effectivePriority(RobotRequest(kind: .load, priority: .max, sequence: 1, passedOver: 3)) == .max)
    }

    /// A steady stream of urgent requests (two per grant: more than the robot serves) cannot
    /// keep an ordinary one waiting for ever: after ⌈(500 − 100) / 50⌉ = 8 grants it ranks above
    /// every later arrival, so it is served once the 16 that arrived before are: within 24.
    @Test func anOrdinaryRequestIsServedDespiteAStreamOfUrgentOnes() {
        let scheduler = MountScheduler(agingStep: 50)
        var waiting = [RobotRequest(kind: .load, priority: 100, sequence: 0)]
        var sequence: UInt64 = 0
        var grants = 0
        while true {
            for _ in 0..<2 {
                sequence += 1
                waiting.append(RobotRequest(kind: .load, priority: 500, sequence: sequence))
            }
            let chosen = scheduler.next(among: waiting) ?? 0
            let served = waiting.remove(at: chosen)
            for index in waiting.indices { waiting[index].passedOver += 1 }
            grants += 1
            if served.sequence == 0 { break }
            if grants > 100 { break }
        }
        #expect(grants <= 24, "served after \(grants) grants")
    }

    /// The robot lock hands the robot over in the scheduler's order.
    @Test func theRobotLockHandsOverInTheSchedulersOrder() async {
        let lock = RobotLock()
        await lock.acquire(.other, priority: 100)
        let order = OrderLog()
        var waiters: [Task<Void, Never>] = []
        for (name, kind, priority) in [("load", RobotRequest.Kind.load, 100), ("unload", .unload, 100),
                                       ("urgent", .load, 500)] {
            waiters.append(Task {
                await lock.acquire(kind, priority: priority)
                order.append(name)
                await lock.release()
            })
            // Each waiter is queued before the next is created.
            while await lock.waitingCount < waiters.count { await Task.yield() }
        }
        await lock.release()
        for waiter in waiters { await waiter.value }
        #expect(order.values == ["urgent", "unload", "load"])
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ value: String) { lock.withLock { list.append(value) } }
    var values: [String] { lock.withLock { list } }
}
