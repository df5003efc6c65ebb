import Foundation
import Catalog
import Discovery
import HWSim
import SCSI
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

/// The engine itself against hwsim with its mechanics at `speed` of real time (8 s moves take
/// 8 s × speed): 200 erases addressed by cartridge (each a load, a short erase and an unload)
/// over 8 LTO-9 drives. Figures are scaled back to the library's time by dividing by `speed`.
/// Unlike `MountSimulation`, this includes everything the engine does around the moves: the
/// inventory read back after each move (holding the robot), catalog writes, polling for
/// readiness.
/// At 0.02 the engine's own time (read-backs, catalog writes, polls) counts 50× in library
/// time, so the figure is an upper bound of what a real library sees.
func runEngineSchedulerBenchmark(speed: Double = 0.02, mounts count: Int = 200) async {
    do {
        var profile = LibraryProfile.large(slots: 240, mailSlots: 4, drives: 8, dataCartridges: count,
                                           cleaningCartridges: 0)
        profile.name = "scheduler-bench"
        profile.powerOnUnitAttention = false
        for index in profile.drives.indices { profile.drives[index].generation = .lto9 }
        let library = try SimulatedLibrary(profile: profile, speed: speed)
        let (source, changer) = hwsimDiscovery(library)
        let rig = try await EngineSyncRig(source: source, changer: changer)
        _ = try await rig.sync()   // registers the cartridges it finds (a simulated library's service)
        let cartridges = try await rig.catalog.listCartridges(ListQuery(limit: ListQuery.maximumLimit, sort: "id")).items
            .filter { $0.status != .cleaning }.prefix(count)
        var ids: [Int64] = []
        for (index, cartridge) in cartridges.enumerated() {
            let task = try await rig.engine.submit(LibraryTask(type: .erase, priority: index % 5 == 4 ? 500 : 100,
                                                               libraryId: rig.libraryID, cartridgeId: cartridge.id))
            if let id = task.id { ids.append(id) }
        }
        let deadline = ContinuousClock.now + .seconds(600)
        var tasks: [LibraryTask] = []
        while true {
            tasks = try await ids.asyncCompactMap { try await rig.catalog.libraryTask(id: $0) }
            if tasks.allSatisfy(\.status.isFinal) { break }
            guard ContinuousClock.now < deadline else { throw BenchFailure("the erases did not end within 600 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        await rig.close()
        let failed = tasks.filter { $0.status != .done }
        guard failed.isEmpty else {
            throw BenchFailure("\(failed.count) erases did not end done: \(failed.first?.errorMessage ?? "")")
        }
        let starts = tasks.compactMap(\.startedAt), ends = tasks.compactMap(\.finishedAt)
        guard let first = starts.min(), let last = ends.max() else { throw BenchFailure("no task times") }
        let makespan = last.timeIntervalSince(first) / speed
        let bound = Double(tasks.count) * 2 * 8
        print("scheduler.engine_over_hwsim.\(tasks.count)_erases_8_drives: \(Int(makespan)) s library time "
              + "(hwsim at \(speed) × real time), × \(String(format: "%.2f", makespan / bound)) of the robot-busy "
              + "lower bound \(Int(bound)) s (target ≤ 1.10: \(makespan / bound <= 1.10 ? "met" : "MISSED"))")
    } catch {
        print("scheduler.engine_over_hwsim: failed: \(error)")
    }
}

extension Array {
    fileprivate func asyncCompactMap<T>(_ transform: (Element) async throws -> T?) async rethrows -> [T] {
        var result: [T] = []
        for element in self { if let value = try await transform(element) { result.append(value) } }
        return result
    }
}
