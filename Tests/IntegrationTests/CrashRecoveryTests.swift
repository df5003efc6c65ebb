import Catalog
import Foundation
import HWSimServer
import Testing

/// Issue 10's crash test: `tapelib serve --hwsim` serving a persistent `tapelib-hwsim serve`
/// library whose mechanics take real (scaled) time, a mixed workload queued with
/// `tapelib task submit`, and `kill -9` of the service at random moments. After each restart
/// and its recovery sync: no task of the dead process is left running (each is final, or
/// queued and picked up again); once the queue has drained, every cartridge's catalog location
/// equals where the simulator holds it (0 mismatches) and no cartridge sits in a drive without
/// a task (0 stranded). Every fifth round the hwsim server is restarted too (SIGTERM: its
/// state directory keeps cartridge locations and tape contents).
///
/// `make test` runs 5 kills; `make crash` (TAPELIB_CRASH_KILLS=50) the full run.
/// TAPELIB_CRASH_SEED replays a run (the seed is printed).
@Suite(.serialized, .timeLimit(.minutes(30))) struct CrashRecoveryTests {
    @Test func killNineAtRandomMomentsLeavesTheCatalogTrueToTheLibrary() async throws {
        let environment = ProcessInfo.processInfo.environment
        let kills = environment["TAPELIB_CRASH_KILLS"].flatMap(Int.init) ?? 5
        let seed = environment["TAPELIB_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var random = SplitMix64(seed: seed)
        let started = Date()

        let directory = try CLI.temporaryDirectory()
        let rig = CrashRig(directory: directory)
        defer { rig.stopAll() }
        print("crash test: \(kills) kills, seed \(seed), state in \(directory.path)")

        // The catalog exists before the first start so that the cartridges can be registered
        // (a sync that finds unregistered cartridges ends with an error listing them).
        let catalog = TapeCatalog(try await CatalogDatabase.open(stateDirectory: rig.catalogDirectory.path))
        for tag in CrashLibrary.allBarcodes { _ = try await catalog.registerCartridge(volumeTag: tag) }

        try await rig.startSimulator()
        var serviceStart = Date()
        try await rig.startService()
        try await rig.waitForRecovery(catalog: catalog, since: serviceStart)
        var drives = try await catalog.drives(library: 1).compactMap(\.id)
        #expect(drives.count == 2)
        if drives.isEmpty { drives = [1] }

        var counts = CrashCounts()
        for round in 0..<kills {
            // The library and the catalog agree here (checked at the end of the previous round).
            let physical = try await rig.simulatorInventory()
            let plan = CrashWorkload.plan(physical: physical, drives: drives, using: &random)
            for action in plan.operatorActions { try await rig.control(action) }
            for arguments in plan.submissions {
                let result = try await CLI.run(["task", "submit"] + arguments + ["--library", "1"] + rig.catalogArguments)
                #expect(result.status == 0, "task submit \(arguments): \(result.stderr)")
                counts.submitted += 1
            }
            // A random moment while the workload runs: moves take 80 ms, loads 150 ms, unloads
            // 200 ms, a format 600 ms and a cleaning 900 ms at this speed.
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...2_500, using: &random)))
            let running = try await catalog.pendingLibraryTasks(library: 1).filter { $0.status != .new }
            counts.killedWhileRunning += running.isEmpty ? 0 : 1
            try await rig.killService()
            counts.kills += 1
            if round % 5 == 4 {
                try await rig.restartSimulator()
                counts.simulatorRestarts += 1
            }

            serviceStart = Date()
            try await rig.startService()
            try await rig.waitForRecovery(catalog: catalog, since: serviceStart)
            // Nothing the dead process started is left running: it ended broken, or it is queued
            // (and may already have been started again by this process).
            for task in try await catalog.pendingLibraryTasks(library: 1) where task.status != .new {
                let restarted = task.startedAt.map { $0 >= serviceStart.addingTimeInterval(-0.001) } ?? false
                if !restarted {
                    counts.unfinishedAfterRecovery += 1
                    Issue.record("round \(round): task \(task.id ?? 0) (\(task.type.rawValue)) is still \(task.status.rawValue) after the recovery")
                }
            }
            try await rig.waitForDriveRecovery()
            try await rig.waitForQueueToDrain(catalog: catalog)
            let check = try await CrashCheck.compare(catalog: catalog, physical: try await rig.simulatorInventory())
            counts.mismatches += check.mismatches.count
            counts.stranded += check.stranded.count
            for line in check.mismatches + check.stranded { Issue.record("round \(round): \(line)") }
        }

        // Tasks by status, printed with the counts so that they show in the test log.
        let tasks = try await catalog.listLibraryTasks(ListQuery(limit: 1_000)).items
        var byStatus: [String: Int] = [:]
        for task in tasks { byStatus[task.status.rawValue, default: 0] += 1 }
        let syncs = tasks.filter { $0.type == .sync }.count
        let statuses = byStatus.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        print("""
            crash test: kills=\(counts.kills) (while a task ran: \(counts.killedWhileRunning)) \
            hwsim-restarts=\(counts.simulatorRestarts) submitted=\(counts.submitted) tasks=\(tasks.count) \
            (syncs \(syncs)) \(statuses) unfinished-after-recovery=\(counts.unfinishedAfterRecovery) \
            mismatches=\(counts.mismatches) stranded=\(counts.stranded) seed=\(seed) \
            seconds=\(Int(Date().timeIntervalSince(started)))
            """)
        #expect(counts.kills == kills)
        #expect(counts.mismatches == 0)
        #expect(counts.stranded == 0)
        #expect(counts.unfinishedAfterRecovery == 0)
        #expect(tasks.allSatisfy { $0.status.isFinal })
        try? FileManager.default.removeItem(at: directory)
    }
}

struct CrashCounts {
    var kills = 0
    var killedWhileRunning = 0
    var simulatorRestarts = 0
    var submitted = 0
    var unfinishedAfterRecovery = 0
    var mismatches = 0
    var stranded = 0
}

/// The fixture library (Fixtures/crash-library.json): 24 slots, 4 mail slots, 2 LTO-8 drives,
/// element addresses as the built-in profiles have them.
enum CrashLibrary {
    static let profile = CLI.packageRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/crash-library.json")
    static let storageBase = 0x1000
    static let mailBase = 0x10
    static let driveBase = 0x100
    static let slots = 24
    static let mailSlots = 4
    static let cleaner = "CLN001L1"
    /// Cartridges of the profile, and the ones an operator brings to the mail slots.
    static let profileBarcodes = (1...14).map { String(format: "K%05dL8", $0) } + ["K00015L7", "K00016L7", cleaner]
    static let newBarcodes = (1...6).map { String(format: "N%05dL8", $0) }
    static var allBarcodes: [String] { profileBarcodes + newBarcodes }
    /// Simulator speed: virtual mechanics times × 0.01 (a move 80 ms, a load 150 ms).
    static let speed = "0.01"
}

/// Where the simulator holds each cartridge, by element address, from its control channel.
struct PhysicalInventory {
    var storage: [Int: String] = [:]   // slot number (1-based) → barcode
    var mail: [Int: String] = [:]      // mail slot number (1-based) → barcode
    var drives: [Int: String] = [:]    // drive number (0-based) → barcode

    init(values: [String: String]) {
        for (key, value) in values {
            if key.hasPrefix("slot"), let n = Int(key.dropFirst(4)) { storage[n] = value }
            if key.hasPrefix("mail"), let n = Int(key.dropFirst(4)) { mail[n] = value }
            if key.hasPrefix("drive"), let n = Int(key.dropFirst(5)) { drives[n] = value }
        }
    }

    /// barcode → element address.
    var addresses: [String: Int] {
        var result: [String: Int] = [:]
        for (n, tag) in storage { result[tag] = CrashLibrary.storageBase + n - 1 }
        for (n, tag) in mail { result[tag] = CrashLibrary.mailBase + n - 1 }
        for (n, tag) in drives { result[tag] = CrashLibrary.driveBase + n }
        return result
    }
}

/// One round's work: what an operator does at the mail slots, then the tasks queued.
enum CrashWorkload {
    /// `importing`: whether the operator brings a cartridge of `CrashLibrary.newBarcodes` to
    /// import (a library whose barcodes are not `CrashLibrary`'s imports none).
    static func plan(physical: PhysicalInventory, drives: [Int64], importing: Bool = true, using random: inout SplitMix64)
        -> (operatorActions: [ControlRequest], submissions: [[String]]) {
        var actions: [ControlRequest] = []
        var submissions: [[String]] = []
        // At the mail slots: take out some exported cartridges (they become offline), bring
        // one cartridge that is not in the library and import it.
        var freeMail = Set(1...CrashLibrary.mailSlots).subtracting(physical.mail.keys)
        for (slot, _) in physical.mail.sorted(by: { $0.key < $1.key }) where Bool.random(using: &random) {
            actions.append(ControlRequest(op: "remove", args: ["mailSlot": String(slot)]))
            freeMail.insert(slot)
        }
        let inLibrary = Set(physical.addresses.keys)
        let outside = CrashLibrary.allBarcodes.filter { !inLibrary.contains($0) && $0 != CrashLibrary.cleaner }
        if importing, let slot = freeMail.sorted().first, let tag = outside.randomElement(using: &random) {
            actions.append(ControlRequest(op: "insert", args: ["barcode": tag, "generation": "LTO-8", "mailSlot": String(slot)]))
            freeMail.remove(slot)
            submissions.append(["import"])
        }

        // Storage cartridges, each used by at most one task of the round.
        var cartridges = physical.storage.filter { $0.value != CrashLibrary.cleaner }
            .map(\.value).shuffled(using: &random)
        var emptySlots = Set(1...CrashLibrary.slots).subtracting(physical.storage.keys).sorted().shuffled(using: &random)
        func nextCartridge() -> String? { cartridges.isEmpty ? nil : cartridges.removeLast() }
        let drive = { (random: inout SplitMix64) -> String in String(drives.randomElement(using: &random) ?? 1) }

        var kinds = ["move", "load", "erase", "erase-long", "format", "format-ltfs", "export", "clean"].shuffled(using: &random)
        kinds = Array(kinds.prefix(Int.random(in: 4...6, using: &random)))
        for kind in kinds {
            switch kind {
            case "move":
                guard let tag = nextCartridge(), let from = physical.storage.first(where: { $0.value == tag })?.key,
                      let to = emptySlots.popLast() else { continue }
                submissions.append(["move", "--source", String(CrashLibrary.storageBase + from - 1),
                                    "--target", String(CrashLibrary.storageBase + to - 1)])
            case "load":
                // A load is followed by its unload: a cartridge left in a drive with no task is
                // what the test counts as stranded.
                guard let tag = nextCartridge() else { continue }
                let driveID = drive(&random)
                submissions.append(["load", "--cartridge", tag, "--drive", driveID])
                submissions.append(["unload", "--drive", driveID])
            case "erase", "erase-long":
                guard let tag = nextCartridge() else { continue }
                submissions.append(["erase", "--cartridge", tag] + (kind == "erase-long" ? ["--long"] : []))
            case "format", "format-ltfs":
                guard let tag = nextCartridge() else { continue }
                submissions.append(["format", "--cartridge", tag, "--force", "--format", kind == "format" ? "plain" : "ltfs"]
                                   + (kind == "format" ? [] : ["--volume-name", "crash"]))
            case "export":
                guard !freeMail.isEmpty, let tag = nextCartridge() else { continue }
                freeMail.removeFirst()
                submissions.append(["export", "--cartridge", tag])
            default:
                submissions.append(["clean", "--drive", drive(&random)])
            }
        }
        return (actions, submissions)
    }
}

/// The comparison after a round: catalog against the simulator.
enum CrashCheck {
    /// `barcodes`: the cartridges that belong to this library's world (a catalog shared with
    /// other libraries holds theirs too); nil: every cartridge of the catalog.
    static func compare(catalog: TapeCatalog, library: Int64 = 1, barcodes: Set<String>? = nil,
                        physical: PhysicalInventory) async throws -> (mismatches: [String], stranded: [String]) {
        let slots = try await catalog.slots(library: library)
        let addressOfSlot = Dictionary(uniqueKeysWithValues: slots.compactMap { slot in slot.id.map { ($0, slot.elementAddress) } })
        let cartridges = try await catalog.listCartridges(ListQuery(limit: 1_000)).items
            .filter { barcodes?.contains($0.volumeTag) ?? true }
        let where_ = physical.addresses
        var mismatches: [String] = []
        var seen = Set<String>()
        for cartridge in cartridges {
            seen.insert(cartridge.volumeTag)
            let catalogAddress = cartridge.slotId.flatMap { addressOfSlot[$0] }
            let physicalAddress = where_[cartridge.volumeTag]
            let locationAgrees: Bool = switch cartridge.location {
            case .slot: physicalAddress.map { $0 >= CrashLibrary.storageBase } ?? false
            case .importExport: physicalAddress.map { (CrashLibrary.mailBase..<CrashLibrary.driveBase).contains($0) } ?? false
            case .drive: physicalAddress.map { (CrashLibrary.driveBase..<CrashLibrary.storageBase).contains($0) } ?? false
            case .offline, .vault: physicalAddress == nil
            }
            if catalogAddress != physicalAddress || !locationAgrees {
                mismatches.append("\(cartridge.volumeTag): catalog \(cartridge.location.rawValue) "
                                  + "\(catalogAddress.map { String($0) } ?? "-"), simulator \(physicalAddress.map { String($0) } ?? "absent")")
            }
        }
        for (tag, address) in where_ where !seen.contains(tag) {
            mismatches.append("\(tag): not in the catalog, simulator element \(address)")
        }
        // The slot table agrees too: every full element holds the simulator's cartridge.
        let byAddress = Dictionary(uniqueKeysWithValues: where_.map { ($0.value, $0.key) })
        for slot in slots where slot.kind != .transport {
            let expected = byAddress[slot.elementAddress]
            if (slot.full ? slot.volumeTag : nil) != expected {
                mismatches.append("element \(slot.elementAddress): catalog \(slot.full ? slot.volumeTag ?? "full, no tag" : "empty"), "
                                  + "simulator \(expected ?? "empty")")
            }
        }
        // The queue has drained: a cartridge in a drive has no task that uses it.
        let stranded = physical.drives.sorted { $0.key < $1.key }.map { "\($0.value) stranded in drive \($0.key)" }
        return (mismatches, stranded)
    }
}

/// The two processes of the test and the paths they share.
final class CrashRig: @unchecked Sendable {
    let directory: URL
    var socket: String { directory.appendingPathComponent("hwsim.sock").path }
    var catalogDirectory: URL { directory.appendingPathComponent("catalog") }
    /// Where the service's catalog is (and its state directory, host name…): by default a
    /// SQLite catalog in `catalogDirectory`.
    var catalogArguments: [String]
    /// The simulated library's profile and pace.
    var profile = CrashLibrary.profile
    var speed = CrashLibrary.speed
    /// The library the checks look at.
    var library: Int64 = 1
    /// Seconds between the service's reads of the task queue (its fallback beside wake-ups).
    var queuePoll = "0.1"
    // These are set before the rig's processes start, and only read after.
    private let lock = NSLock()
    private var simulator: Process?
    private var service: Process?
    private var starts = 0

    init(directory: URL) {
        self.directory = directory
        catalogArguments = ["--state-dir", directory.appendingPathComponent("catalog").path]
    }

    static var hwsimExecutable: URL {
        ProcessInfo.processInfo.environment["TAPELIB_HWSIM_BIN"].map { URL(fileURLWithPath: $0) }
            ?? CLI.packageRoot.appendingPathComponent(".build/debug/tapelib-hwsim")
    }

    func startSimulator() async throws {
        let process = try launch(Self.hwsimExecutable,
                                 ["serve", "--profile", profile.path, "--socket", socket,
                                  "--state", directory.appendingPathComponent("hwsim-state").path,
                                  "--speed", speed], log: "hwsim.log")
        lock.withLock { simulator = process }
        try await waitFor("the hwsim server to answer on \(socket)", seconds: 60) {
            guard process.isRunning else { throw CLIFailure(description: "tapelib-hwsim exited: \(self.log("hwsim.log"))") }
            return (try? await self.controlReply(ControlRequest(op: "ping")))?.ok == true
        }
    }

    /// SIGTERM (the server saves its state), then a new server on the same state directory.
    func restartSimulator() async throws {
        guard let process = lock.withLock({ simulator }) else { return }
        process.terminate()
        try await waitForExit(process, seconds: 60)
        try await startSimulator()
    }

    func startService() async throws {
        let number = lock.withLock { starts += 1; return starts }
        let process = try launch(CLI.executable,
                                 ["serve", "--hwsim", socket, "--queue-poll", queuePoll, "--port", "0"] + catalogArguments,
                                 log: "serve-\(number).log")
        lock.withLock { service = process }
    }

    /// The port the current start of the service's API listens on (its log line, waited for).
    func apiPort() async throws -> Int {
        let number = lock.withLock { starts }
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let process = lock.withLock({ service }), !process.isRunning {
                throw CLIFailure(description: "tapelib serve exited: \(log("serve-\(number).log"))")
            }
            let text = log("serve-\(number).log", tail: nil)
            if let range = text.range(of: "API listening on http://[^ ]*?:(\\d+)", options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last ?? "") {
                return port
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLIFailure(description: "the API of service start \(number) did not listen within 120 s")
    }

    /// The current start's log.
    var serviceLog: String {
        let number = lock.withLock { starts }
        return log("serve-\(number).log", tail: nil)
    }

    /// SIGTERM, and the wait for the service's exit.
    /// The service's exit status once it has exited; nil while it runs (or was never started).
    var serviceExitStatus: Int32? {
        guard let process = lock.withLock({ service }), !process.isRunning else { return nil }
        return process.terminationStatus
    }

    func stopService() async throws {
        guard let process = lock.withLock({ service }) else { return }
        process.terminate()
        try await waitForExit(process, seconds: 120)
    }

    func killService() async throws {
        guard let process = lock.withLock({ service }) else { return }
        kill(process.processIdentifier, SIGKILL)
        try await waitForExit(process, seconds: 60)
    }

    /// The recovery: a sync that this start of the service queued has succeeded.
    func waitForRecovery(catalog: TapeCatalog, since start: Date) async throws {
        let number = lock.withLock { starts }
        try await waitFor("the recovery sync of service start \(number)", seconds: 120) {
            if let process = self.lock.withLock({ self.service }), !process.isRunning {
                throw CLIFailure(description: "tapelib serve exited: \(self.log("serve-\(number).log"))")
            }
            guard let library = try await catalog.library(id: self.library), library.syncState == .synced,
                  let last = library.lastSync else { return false }
            return last >= start
        }
    }

    /// The service has looked for cartridges that interrupted tasks left in drives (and queued
    /// their unloads): it logs that once, after the start's sync.
    func waitForDriveRecovery() async throws {
        let number = lock.withLock { starts }
        try await waitFor("the drive recovery of service start \(number)", seconds: 120) {
            self.log("serve-\(number).log", tail: nil).contains("drives checked after the start's sync")
        }
    }

    /// Every task has ended (generous: a round's work takes a few seconds at this speed).
    func waitForQueueToDrain(catalog: TapeCatalog) async throws {
        let library = self.library
        try await waitFor("the task queue to drain", seconds: 120) {
            try await catalog.pendingLibraryTasks(library: library).isEmpty
        }
    }

    func simulatorInventory() async throws -> PhysicalInventory {
        let reply = try await controlReply(ControlRequest(op: "inventory"))
        guard reply.ok else { throw CLIFailure(description: "hwsim inventory: \(reply.message ?? "")") }
        return PhysicalInventory(values: reply.values ?? [:])
    }

    /// How many devices the hwsim server has (the changer is device 0, then the drives).
    func simulatorDeviceCount() async throws -> Int {
        let reply = try await controlReply(ControlRequest(op: "ping"))
        guard reply.ok, let count = reply.values?["devices"].flatMap({ Int($0) }) else {
            throw CLIFailure(description: "hwsim ping: \(reply.message ?? "")")
        }
        return count
    }

    func control(_ request: ControlRequest) async throws {
        let reply = try await controlReply(request)
        guard reply.ok else { throw CLIFailure(description: "hwsim \(request.op): \(reply.message ?? "")") }
    }

    private func controlReply(_ request: ControlRequest) async throws -> ControlReply {
        let client = HWSimSocketTransport(socketPath: socket, device: 0)
        do {
            let reply = try await client.control(request)
            await client.close()
            return reply
        } catch {
            await client.close()
            throw error
        }
    }

    func stopAll() {
        for process in lock.withLock({ [service, simulator] }) {
            guard let process, process.isRunning else { continue }
            kill(process.processIdentifier, SIGKILL)
        }
    }

    private func launch(_ executable: URL, _ arguments: [String], log name: String) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TAPELIB_ADMIN_PASSWORD"] = ServeProcess.adminPassword
        process.environment = environment
        // Logs go to files: a pipe nobody reads could fill and block the process.
        let url = directory.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        try handle.close()
        return process
    }

    private func log(_ name: String, tail: Int? = 2_000) -> String {
        let text = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return tail.map { String(text.suffix($0)) } ?? text
    }

    /// Waits for a process to exit, polling its state (the wait is a condition, the bound generous).
    private func waitForExit(_ process: Process, seconds: Double) async throws {
        try await waitFor("process \(process.processIdentifier) to exit", seconds: seconds) { !process.isRunning }
    }

    func waitFor(_ what: String, seconds: Double, _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLIFailure(description: "timed out after \(Int(seconds)) s waiting for \(what)")
    }
}

/// A small seeded generator, so that a failing run can be replayed (TAPELIB_CRASH_SEED).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
