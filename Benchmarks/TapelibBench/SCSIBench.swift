func runSCSIBenchmarks() async {}
