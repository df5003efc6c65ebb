import Foundation

// `make bench`: each area registers its benchmarks in its own file.
// Figures are printed as "name: value unit (target …)" lines and copied to README's Performance section.
// TAPELIB_BENCH_ONLY=scsi or =catalog runs one area (for profiling one of them).
print("tapelib benchmarks (release build)")
let onlyArea = ProcessInfo.processInfo.environment["TAPELIB_BENCH_ONLY"]
if onlyArea == nil || onlyArea == "scsi" { await runSCSIBenchmarks() }
if onlyArea == nil || onlyArea == "catalog" { await runCatalogBenchmarks() }
