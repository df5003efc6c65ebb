import Foundation
import HWSim
import LibraryService

/// Issue 10: 200 mount requests over 8 drives in simulated time (hwsim's LTO-9 timing model):
/// the engine's order (robot for moves only, scheduled) next to the robot-busy lower bound
/// (target ≤ 1.10 ×), next to first come first served, and next to the robot held for each
/// load and unload cycle as before. Deterministic: the same workload every run.
func runSchedulerBenchmarks() {
    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    let timing = MountSimulation.Timing(move: seconds(TimingModel.robotMove), load: seconds(TimingModel.load(.lto9)),
                                        unload: seconds(TimingModel.unload(.lto9)))
    let mounts = MountSimulation.sampleWorkload()
    let simulation = MountSimulation(drives: 8, timing: timing)
    let scheduled = simulation.run(mounts, policy: .scheduled(MountScheduler()))
    let fcfs = simulation.run(mounts, policy: .firstComeFirstServed)
    let held = simulation.run(mounts, policy: .robotHeldPerCycle)
    func ratio(_ result: MountSimulation.Result) -> String {
        String(format: "%.3f", result.makespan / result.lowerBound)
    }
    print("scheduler.200_mounts_8_drives.lower_bound: \(Int(scheduled.lowerBound)) s simulated (robot moves)")
    print("scheduler.200_mounts_8_drives.scheduled: \(Int(scheduled.makespan)) s simulated, × \(ratio(scheduled)) "
          + "of the lower bound (target ≤ 1.10)")
    print("scheduler.200_mounts_8_drives.first_come_first_served: \(Int(fcfs.makespan)) s simulated, × \(ratio(fcfs))")
    print("scheduler.200_mounts_8_drives.robot_held_per_cycle: \(Int(held.makespan)) s simulated, × \(ratio(held))")
}
