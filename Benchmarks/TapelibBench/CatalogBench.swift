import Catalog
import Foundation

/// Catalog figures (targets on the 2-core reference machine, issue 3):
/// reconciling a 50,000-slot snapshot into an empty catalog ≤ 300 ms, a snapshot with 1% of
/// cartridges moved ≤ 50 ms, a filtered 100-row slot page ≤ 1 ms median.
/// Reconcile leaves the WAL checkpoint to a background connection (WALCheckpointer): the moved
/// sync starts while the empty sync's ~2,000 pages are being checkpointed, and the CPU figure
/// (whole process) includes that checkpoint. Page 200 of the slot list starts 19,900 rows in.
func runCatalogBenchmarks() async {
    do {
        try await CatalogBenchmark.run()
    } catch {
        print("catalog benchmarks failed: \(error)")
    }
}

enum CatalogBenchmark {
    static let elementCount = 50_000
    static let driveCount = 16
    static let mailSlotCount = 40

    static func run() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapelib-catalog-bench-\(UUID().uuidString)").path
        let keep = ProcessInfo.processInfo.environment["TAPELIB_BENCH_KEEP_CATALOG"] != nil
        defer { if keep { print("catalog kept in \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) } }
        let environment = ProcessInfo.processInfo.environment
        let catalog = environment["TAPELIB_BENCH_CATALOG_IN_MEMORY"] != nil
            ? try CatalogDatabase.inMemory() : try await CatalogDatabase.open(stateDirectory: directory)
        let server = try await catalog.insert(MediaServer(hostname: "bench-media", hwid: "bench-hwid"))
        guard let serverID = server.id else { return }
        let library = try await catalog.insert(TapeLibrary(mediaServerId: serverID))
        guard let libraryID = library.id else { return }

        var snapshot = makeSnapshot()
        let clock = ContinuousClock()

        let emptyStart = clock.now
        let emptyCPU = processCPUTime()
        let first = try await catalog.reconcile(library: libraryID, snapshot: snapshot)
        report("catalog.reconcile.50k_empty", clock.now - emptyStart, target: 300,
               detail: "\(first.slotsAdded) slots, \(first.cartridgesCreated.count) cartridges created, "
                   + cpu(since: emptyCPU))

        let moves = moveOnePercent(&snapshot)
        let movedStart = clock.now
        let movedCPU = processCPUTime()
        let second = try await catalog.reconcile(library: libraryID, snapshot: snapshot)
        report("catalog.reconcile.50k_1pct_moved", clock.now - movedStart, target: 50,
               detail: "\(second.cartridgesMoved.count) of \(moves) moves applied, " + cpu(since: movedCPU))

        if environment["TAPELIB_BENCH_SKIP_PAGES"] != nil { return }
        // Full storage slots of the library in element order, with the total for the pager.
        let filter = "library_id=\"\(libraryID)\", kind=\"storage\", full=\"true\""
        for (name, page) in [("first", 1), ("deep", 200)] {
            let query = ListQuery(filter: filter, page: page, limit: 100, sort: "element_address")
            var samples: [Duration] = []
            let start = processCPUTime()
            for _ in 0..<300 {
                let start = clock.now
                let page = try await catalog.listSlots(query)
                samples.append(clock.now - start)
                if page.items.count != 100 { print("unexpected page size \(page.items.count)") }
            }
            let cpuPerQuery = (processCPUTime() - start) / 300
            samples.sort()
            report("catalog.slot_page.filtered_100.\(name)_page", samples[samples.count / 2], target: 1,
                   detail: "median of 300, page \(page), CPU " + String(format: "%.3f ms", cpuPerQuery * 1000) + "/query")
        }
    }

    /// User + system CPU seconds of this process: on a shared machine wall time includes
    /// waiting for a core, so both figures are printed.
    static func processCPUTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func cpu(since start: Double) -> String {
        String(format: "CPU %.1f ms", (processCPUTime() - start) * 1000)
    }

    static func makeSnapshot() -> InventorySnapshot {
        var elements: [InventoryElement] = []
        elements.reserveCapacity(elementCount)
        elements.append(InventoryElement(address: 0, kind: .transport, isFull: false))
        for drive in 0..<driveCount {
            elements.append(InventoryElement(address: 100 + drive, kind: .drive, isFull: false))
        }
        for mail in 0..<mailSlotCount {
            elements.append(InventoryElement(address: 200 + mail, kind: .importExport, isFull: false))
        }
        let storageCount = elementCount - elements.count
        for index in 0..<storageCount {
            // Four of five storage slots hold a labelled LTO-9 cartridge.
            let full = index % 5 != 4
            let tag = full ? String(format: "%06dL9", index) : nil
            elements.append(InventoryElement(address: 1000 + index, kind: .storage, isFull: full, volumeTag: tag))
        }
        return InventorySnapshot(elements: elements)
    }

    /// Moves 1% of the cartridges into empty storage slots, as a day of robot activity would.
    static func moveOnePercent(_ snapshot: inout InventorySnapshot) -> Int {
        let full = snapshot.elements.indices.filter { snapshot.elements[$0].kind == .storage && snapshot.elements[$0].isFull }
        let empty = snapshot.elements.indices.filter { snapshot.elements[$0].kind == .storage && !snapshot.elements[$0].isFull }
        let moves = full.count / 100
        for step in 0..<moves {
            let from = full[step * 97 % full.count]
            let to = empty[step]
            snapshot.elements[to].isFull = true
            snapshot.elements[to].volumeTag = snapshot.elements[from].volumeTag
            snapshot.elements[to].sourceElement = snapshot.elements[from].address
            snapshot.elements[from].isFull = false
            snapshot.elements[from].volumeTag = nil
        }
        return moves
    }

    static func report(_ name: String, _ duration: Duration, target: Double, detail: String) {
        let milliseconds = Double(duration.components.seconds) * 1000
            + Double(duration.components.attoseconds) / 1e15
        let figure = milliseconds < 10 ? String(format: "%.3f", milliseconds) : String(format: "%.1f", milliseconds)
        let verdict = milliseconds <= target ? "" : "  MISSED"
        print("\(name): \(figure) ms (target ≤ \(Int(target)) ms) [\(detail)]\(verdict)")
    }
}
