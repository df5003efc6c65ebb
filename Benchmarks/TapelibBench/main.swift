// `make bench`: each area registers its benchmarks in its own file.
// Figures are printed as "name: value unit (target …)" lines and copied to README's Performance section.
print("tapelib benchmarks (release build)")
await runSCSIBenchmarks()
await runCatalogBenchmarks()
