func runCatalogBenchmarks() async {}
