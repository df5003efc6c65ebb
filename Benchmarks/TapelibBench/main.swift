import Foundation

// `make bench`: each area registers its benchmarks in its own file.
// Figures are printed as "name: value unit (target …)" lines and copied to README's Performance section.
// TAPELIB_BENCH_ONLY=scsi, =catalog, =queue, =stores, =engine or =scheduler runs one area (for profiling one of them);
// =engine-shim is the engine's sync of a hwsim server's library through the sg shim, which
// scripts/bench-shim.sh runs with LD_PRELOAD set (not part of the default areas).
print("tapelib benchmarks (release build)")
let onlyArea = ProcessInfo.processInfo.environment["TAPELIB_BENCH_ONLY"]
if onlyArea == nil || onlyArea == "scsi" { await runSCSIBenchmarks() }
if onlyArea == nil || onlyArea == "catalog" { await runCatalogBenchmarks() }
if onlyArea == nil || onlyArea == "catalog" || onlyArea == "queue" { await runTaskQueueBenchmarks() }
if onlyArea == nil || onlyArea == "catalog" || onlyArea == "stores" { await runStoreBenchmarks() }
if onlyArea == nil || onlyArea == "engine" { await runEngineBenchmarks() }
if onlyArea == nil || onlyArea == "scheduler" {
    runSchedulerBenchmarks()
    await runEngineSchedulerBenchmark(speed: 0.02)
}
if onlyArea == "scheduler-fast" {
    // hwsim at 0.005 × real time: the engine's own milliseconds count 200× in library time.
    await runEngineSchedulerBenchmark(speed: 0.005)
}
if onlyArea == nil || onlyArea == "copy" { await runCopyBenchmarks() }
if onlyArea == "engine-shim" { await runEngineShimBenchmarks() }
// scripts/bench-api.sh's helpers (not part of the default areas).
let environment = ProcessInfo.processInfo.environment
if onlyArea == "api-profile", let out = environment["TAPELIB_BENCH_PROFILE"] {
    do { try APIBench.writeProfile(to: out) } catch { print("api-profile failed: \(error)"); exit(1) }
}
if onlyArea == "api-catalog", let state = environment["TAPELIB_BENCH_STATE"], let paths = environment["TAPELIB_BENCH_PATHS"] {
    do { try await APIBench.catalogRate(stateDirectory: state, pathsFile: paths, seconds: 10) } catch {
        print("api-catalog failed: \(error)"); exit(1)
    }
}
