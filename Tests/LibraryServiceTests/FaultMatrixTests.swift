import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import TapeHardware
import Testing

/// Issue 10, the fault matrix: each hwsim fault kind (robot jam, media error, not ready, a device
/// gone, sense injected per operation code, each quirk, an expired cleaner, TapeAlert flags)
/// injected into each library operation it can affect. Every case, on a fresh rig whose drive 1
/// holds E00003L9 (from slot 5) and whose operation targets drive 0 (or a cartridge, which the
/// engine then loads into drive 0, the only free one), asserts:
/// 1. the task's status: error for hard faults, done where the engine retries or works around
///    the fault (a single UNIT ATTENTION, a drive or changer becoming ready, a quirk);
/// 2. the decoded error text: the message names the operation, the failed command and the
///    decoded sense (key, ASC/ASCQ text and hex), and sense_key/asc/ascq are the injected ones;
/// 3. the catalog places every cartridge where the simulator has it (after the failure and at
///    the end);
/// 4. the other drive keeps working: an erase and an unload on drive 1 end done.
@Suite("Fault matrix: every hwsim fault against the operations it affects")
struct FaultMatrixTests {
    @Test(arguments: FaultMatrix.cases)
    func faultAgainstOperation(_ matrixCase: FaultCase) async throws {
        if let issue = matrixCase.knownIssue {
            await withKnownIssue(Comment(rawValue: issue)) { try await run(matrixCase) }
        } else {
            try await run(matrixCase)
        }
    }

    /// The matrix's size (printed) and its coverage: every fault kind and every operation occur.
    @Test func matrixSizeAndCoverage() {
        let cases = FaultMatrix.cases
        let kinds = Set(cases.map(\.fault.kind))
        let faults = Set(cases.map(\.fault.name))
        let operations = Set(cases.map(\.operation))
        let pairs = Set(cases.map { "\($0.fault.name) × \($0.operation.rawValue)" })
        let kindPairs = Set(cases.map { "\($0.fault.kind) × \($0.operation.rawValue)" })
        print("fault matrix: \(cases.count) cases; \(kinds.count) fault kinds × \(operations.count) operations "
              + "(\(kindPairs.count) kind×operation pairs); \(faults.count) distinct faults, \(pairs.count) fault×operation "
              + "pairs; \(cases.filter { $0.expected.isDone }.count) end done, "
              + "\(cases.filter { !$0.expected.isDone }.count) end error; "
              + "\(cases.filter(\.hasKnownIssue).count) with known issues")
        #expect(pairs.count == cases.count, "a case is listed twice")
        #expect(kinds == Set(["jam", "media error", "not ready", "gone", "injected sense", "quirk",
                              "expired cleaner", "TapeAlert"]))
        #expect(operations == Set(FaultCase.Operation.allCases))
        for quirk in FaultCase.Quirk.allCases {
            #expect(cases.contains { $0.fault.name == "quirk \(quirk.rawValue)" }, "quirk \(quirk.rawValue) is not in the matrix")
        }
        for opcode: UInt8 in [0xA5, 0xB8, 0x19, 0x04, 0x1B, 0x00, 0x4D, 0x5A, 0x01, 0x08, 0x0A] {
            #expect(cases.contains { if case .sense(opcode, _, _, _) = $0.fault { true } else { false } },
                    "no sense injected into opcode \(String(opcode, radix: 16))h")
        }
    }

    // MARK: One case

    private func run(_ c: FaultCase) async throws {
        let goneDuringErase = c.fault.isDriveGoneDuringErase
        let rig = try await TestRig.make(advancePerNotReady: goneDuringErase ? .zero : .seconds(60),
                                         drivePollInterval: goneDuringErase ? .milliseconds(500) : .milliseconds(2),
                                         cleaningUses: c.fault.isExpiredCleaner ? 0 : 3)
        if case .quirk(let quirk) = c.fault { rig.simulated.setQuirks(quirk.set) }
        try await rig.serving {
            // The common precondition: a synced catalog and drive 1 in use (E00003L9 from slot 5).
            try await expectDone(rig, try await rig.submit(.sync), "the first sync")
            try await expectDone(rig, try await rig.submit(.load, drive: 1, source: rig.slotAddress(5)), "loading drive 1")
            // The operation's own precondition, then the fault, then the operation.
            let context = try await prepare(c.operation, rig)
            if !goneDuringErase { inject(c.fault, into: rig, target: context.target) }
            let submitted = try await submit(c.operation, rig, context: context, longErase: goneDuringErase)
            if goneDuringErase {
                try await rig.waitForTask(submitted.id, "to run its long erase") { $0.phase == "long erase" || $0.status.isFinal }
                inject(c.fault, into: rig, target: context.target)
            }
            let ended = try await rig.waitForTask(submitted.id)
            let label = c.testDescription

            // (1) and (2): status and decoded error.
            try await expectOutcome(c.expected, of: ended, type: c.operation.taskType,
                                    senseColumnsIssue: c.senseColumnsIssue, label)
            // Checks of this case.
            for check in c.checks { try await expect(check, rig, ended, label) }
            // (3): the catalog matches the hardware after the failure.
            try await expectCatalogMatchesSimulator(rig, "\(label), after the task")

            // (4): the other drive works: an erase (no robot move: after a jam too), then, once an
            // operator has done what the fault needs (a changer reconnected, a jam cleared), an unload.
            rig.simulated.clearFaults()
            if case .changerGone = c.fault { try await recover(from: c.fault, rig) }
            try await expectDone(rig, try await rig.submit(.erase, drive: 1), "\(label): erase on the other drive")
            if case .jam = c.fault { try await recover(from: c.fault, rig) }
            try await expectDone(rig, try await rig.submit(.unload, drive: 1), "\(label): unload of the other drive")
            #expect(rig.simulated.location(of: "E00003L9") == .slot(5), "\(label)")
            try await expectCatalogMatchesSimulator(rig, "\(label), at the end")
        }
    }

    private struct Context {
        var cartridgeID: Int64?
        /// The barcode the operation works on (where a media error is planted).
        var target: String?
    }

    private func prepare(_ operation: FaultCase.Operation, _ rig: TestRig) async throws -> Context {
        func cartridgeID(_ tag: String) async throws -> Int64? {
            try #require(try await rig.catalog.cartridge(volumeTag: tag)).id
        }
        switch operation {
        case .sync, .move, .load, .clean:
            return Context(target: "E00001L9")
        case .unload, .eraseByDrive, .formatPlain:
            try await expectDone(rig, try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)), "loading drive 0")
            return Context(target: "E00001L9")
        case .checkLTFSByDrive:
            try await expectDone(rig, try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)), "loading drive 0")
            try await expectDone(rig, try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[0], formatKind: .ltfs,
                volumeName: "matrix")), "LTFS format in drive 0")
            return Context(target: "E00001L9")
        case .import:
            for (n, tag) in ["N00001L9", "N00002L9"].enumerated() {
                try rig.simulated.operatorInsert(CartridgeProfile(barcode: tag, generation: .lto9,
                                                                  location: .mailSlot(n + 1)), mailSlot: n + 1)
            }
            return Context(target: "N00001L9")
        case .export, .eraseByCartridge, .formatLTFS:
            return Context(cartridgeID: try await cartridgeID("E00002L9"), target: "E00002L9")
        case .checkLTFSByCartridge:
            let id = try await cartridgeID("E00002L9")
            try await expectDone(rig, try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, cartridgeId: id, formatKind: .ltfs, volumeName: "matrix")),
                "LTFS format by cartridge")
            return Context(cartridgeID: id, target: "E00002L9")
        }
    }

    private func submit(_ operation: FaultCase.Operation, _ rig: TestRig, context: Context,
                        longErase: Bool) async throws -> LibraryTask {
        switch operation {
        case .sync: return try await rig.submit(.sync)
        case .move: return try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(7))
        case .load: return try await rig.submit(.load, drive: 0, source: rig.slotAddress(1))
        case .unload: return try await rig.submit(.unload, drive: 0)
        case .import: return try await rig.submit(.import)
        case .export: return try await rig.submit(.export, cartridge: context.cartridgeID)
        case .eraseByDrive: return try await rig.submit(.erase, drive: 0, longErase: longErase)
        case .eraseByCartridge: return try await rig.submit(.erase, cartridge: context.cartridgeID)
        case .formatPlain:
            return try await rig.engine.submit(LibraryTask(type: .format, libraryId: rig.libraryID,
                                                           driveId: rig.driveIDs[0], formatKind: .plain))
        case .formatLTFS:
            return try await rig.engine.submit(LibraryTask(type: .format, libraryId: rig.libraryID,
                                                           cartridgeId: context.cartridgeID, formatKind: .ltfs,
                                                           volumeName: "matrix"))
        case .checkLTFSByDrive: return try await rig.submit(.checkLTFS, drive: 0)
        case .checkLTFSByCartridge: return try await rig.submit(.checkLTFS, cartridge: context.cartridgeID)
        case .clean: return try await rig.submit(.clean, drive: 0)
        }
    }

    private func inject(_ fault: FaultCase.Fault, into rig: TestRig, target: String?) {
        let library = rig.simulated
        switch fault {
        case .jam: library.jamRobot()
        case .mediaError(let partition, let block):
            library.injectMediaError(barcode: target ?? "", partition: partition, block: block)
        case .becomingReady(let device, let seconds): library.makeNotReady(device: device, for: .seconds(seconds))
        case .driveGone, .driveGoneDuringErase: library.disconnect(device: 1)
        case .changerGone: library.disconnect(device: 0)
        case .sense(let opcode, let device, let sense, let count):
            library.failNext(count, opcode: opcode, device: device, with: sense)
        case .quirk: break   // set before the rig serves
        case .expiredCleaner: break   // the rig's cleaner has no uses left
        case .tapeAlerts(let flags): library.raiseTapeAlerts(flags, drive: 0)
        case .cleaningRequest: library.requireCleaning(drive: 0)
        }
    }

    /// What an operator (or udev) does after the fault, before the other drive is tried.
    private func recover(from fault: FaultCase.Fault, _ rig: TestRig) async throws {
        switch fault {
        case .jam:
            // The operator clears the jam and re-inventories at the front panel (INITIALIZE
            // ELEMENT STATUS): tapelib has no way to send it yet.
            try await sendToChanger(rig.simulated, [0x07, 0, 0, 0, 0, 0])
        case .changerGone:
            rig.simulated.reconnect(device: 0)
            try await rig.tracker.refresh()
            let changerID = try #require(try await rig.catalog.library(id: rig.libraryID)?.mediumChangerId)
            try await rig.eventually("the changer is back online") {
                try await rig.catalog.changer(id: changerID)?.state == .online
            }
        default:
            break
        }
    }

    // MARK: Assertions

    private func expectDone(_ rig: TestRig, _ task: LibraryTask, _ what: String) async throws {
        let ended = try await rig.waitForTask(task.id)
        try #require(ended.status == .done, "\(what): \(ended.status) — \(ended.errorMessage ?? "")")
    }

    private func expectOutcome(_ expected: FaultCase.Expected, of task: LibraryTask, type: LibraryTaskType,
                               senseColumnsIssue: String?, _ label: String) async throws {
        let message = task.errorMessage ?? ""
        switch expected {
        case .done:
            #expect(task.status == .done, "\(label): \(task.status) — \(message)")
            #expect(task.senseKey == nil, "\(label)")
        case .senseError(let opcode, let key, let asc, let ascq):
            #expect(task.status == .error, "\(label): \(task.status)")
            #expect(message.hasPrefix("\(type.rawValue) failed: "), "\(label): \(message)")
            let additional = SCSI.AdditionalSense(asc, ascq)
            for part in ["\(OperationCode.name(opcode)) failed: ", "\(key): \(additional.text)",
                         "ASC/ASCQ \(hex(asc))h/\(hex(ascq))h"] {
                #expect(message.contains(part), "\(label): \"\(message)\" does not say \"\(part)\"")
            }
            let senseColumns = {
                #expect(task.senseKey == Int(key.rawValue), "\(label): sense_key \(String(describing: task.senseKey))")
                #expect(task.asc == Int(asc) && task.ascq == Int(ascq),
                        "\(label): asc/ascq \(String(describing: task.asc))/\(String(describing: task.ascq))")
                #expect(task.senseDescription == "\(key): \(additional.text)", "\(label)")
            }
            if let issue = senseColumnsIssue {
                withKnownIssue(Comment(rawValue: issue)) { senseColumns() }
            } else {
                senseColumns()
            }
        case .error(let parts):
            #expect(task.status == .error, "\(label): \(task.status)")
            #expect(message.hasPrefix("\(type.rawValue) failed: "), "\(label): \(message)")
            for part in parts { #expect(message.contains(part), "\(label): \"\(message)\" does not say \"\(part)\"") }
            #expect(task.senseKey == nil, "\(label)")
        }
    }

    private func expect(_ check: FaultCase.Check, _ rig: TestRig, _ task: LibraryTask, _ label: String) async throws {
        switch check {
        case .at(let tag, let location):
            #expect(rig.simulated.location(of: tag) == location, "\(label): \(tag)")
        case .flagsSeen(let drive, let flags):
            let row = try #require(try await rig.catalog.drive(id: rig.driveIDs[drive]))
            for flag in flags {
                #expect(row.tapeAlertFlagsSeen & (1 << Int64(flag - 1)) != 0,
                        "\(label): TapeAlert \(hex(flag))h not in tape_alert_flags_seen \(row.tapeAlertFlagsSeen)")
            }
        case .cleaned(let drive):
            #expect(try await rig.catalog.drive(id: rig.driveIDs[drive])?.lastCleaning != nil, "\(label)")
            #expect(rig.simulated.location(of: "CLN001L1") == .slot(10), "\(label)")
        case .retired(let tag):
            #expect(try await rig.catalog.cartridge(volumeTag: tag)?.status == .retired, "\(label)")
        case .verdict(let tag, let verdict, let logged):
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: tag))
            #expect(cartridge.ltfsCheckVerdict == verdict, "\(label)")
            #expect(cartridge.ltfsState == (verdict == "consistent" ? .consistent : .inconsistent), "\(label)")
            let log = try await rig.catalog.log(ofLibraryTask: try #require(task.id))
            #expect(log.contains { $0.message.contains(logged) }, "\(label): \(log.map(\.message))")
        case .driveOffline(let drive):
            try await rig.eventually("drive \(drive) is marked offline") {
                try await rig.catalog.drive(id: rig.driveIDs[drive])?.state == .offline
            }
        case .scratch(let tag):
            #expect(try await rig.catalog.cartridge(volumeTag: tag)?.status == .scratch, "\(label)")
        case .known(let issue, let inner):
            await withKnownIssue(Comment(rawValue: issue)) { try await expect(inner, rig, task, label) }
        }
    }

    /// Every cartridge the simulator holds is where the catalog places it (element address of
    /// its slot row), and every slot row's full/volume tag is what the simulator has there. The
    /// engine reads the inventory back after a failed robot task once it has recorded the
    /// failure, so this waits (a bounded time) for the two to agree before reporting the difference.
    private func expectCatalogMatchesSimulator(_ rig: TestRig, _ label: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var differences = try await catalogDifferences(rig)
        while !differences.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
            differences = try await catalogDifferences(rig)
        }
        #expect(differences.isEmpty, "\(label): the catalog disagrees with the simulator: \(differences)")
    }

    private func catalogDifferences(_ rig: TestRig) async throws -> [String] {
        var differences: [String] = []
        var physical: [Int: String] = [:]
        for (location, barcode) in rig.simulated.inventory() {
            let address = Int(rig.simulated.elementAddress(location))
            physical[address] = barcode
            guard let cartridge = try await rig.catalog.cartridge(volumeTag: barcode) else {
                differences.append("\(barcode) at \(location) is not in the catalog")
                continue
            }
            var slot: LibrarySlot?
            if let slotID = cartridge.slotId { slot = try await rig.catalog.slot(id: slotID) }
            if slot?.elementAddress != address || slot?.libraryId != rig.libraryID {
                differences.append("\(barcode) is at \(location) (element \(address)); the catalog has element "
                                   + "\(slot.map { String($0.elementAddress) } ?? "none") (\(cartridge.location.rawValue))")
            }
        }
        for slot in try await rig.catalog.slots(library: rig.libraryID) {
            let there = physical[slot.elementAddress]
            if slot.full != (there != nil) || (slot.full && slot.volumeTag != there) {
                differences.append("slot row \(slot.elementAddress): full \(slot.full) \(slot.volumeTag ?? "-"), "
                                   + "simulator \(there ?? "empty")")
            }
        }
        return differences
    }
}

/// A command straight to the simulated changer, as the front panel would act (a pending unit
/// attention is consumed first).
private func sendToChanger(_ library: SimulatedLibrary, _ cdb: [UInt8]) async throws {
    var result = try await library.execute(device: 0, SCSICommand(cdb: cdb))
    var attempts = 0
    while result.status != .good, attempts < 4 {
        attempts += 1
        result = try await library.execute(device: 0, SCSICommand(cdb: cdb))
    }
    #expect(result.status == .good)
}

private func hex(_ value: UInt8) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return text.count < 2 ? "0" + text : text
}

// MARK: The matrix

struct FaultCase: Sendable, CustomTestStringConvertible {
    enum Operation: String, Sendable, CaseIterable, Hashable {
        case sync, move, load, unload
        case `import`, export
        case eraseByDrive = "erase by drive"
        case eraseByCartridge = "erase by cartridge"
        case formatPlain = "plain format by drive"
        case formatLTFS = "LTFS format by cartridge"
        case checkLTFSByDrive = "check_ltfs by drive"
        case checkLTFSByCartridge = "check_ltfs by cartridge"
        case clean

        var taskType: LibraryTaskType {
            switch self {
            case .sync: .sync
            case .move: .move
            case .load: .load
            case .unload: .unload
            case .import: .import
            case .export: .export
            case .eraseByDrive, .eraseByCartridge: .erase
            case .formatPlain, .formatLTFS: .format
            case .checkLTFSByDrive, .checkLTFSByCartridge: .checkLTFS
            case .clean: .clean
            }
        }
    }

    enum Quirk: String, Sendable, CaseIterable {
        case dvcidVoltag = "dvcid-voltag"
        case alloc16
        case becomingReady = "becoming-ready"
        case noModeSense10 = "no-mode-sense-10"
        case backToBackMove = "back-to-back-move"
        case overlappingPages = "overlapping-pages"

        var set: QuirkSet {
            var quirks = QuirkSet()
            switch self {
            case .dvcidVoltag: quirks.dvcidWithVoltagRefused = true
            case .alloc16: quirks.sixteenBitAllocationLength = true
            case .becomingReady: quirks.becomingReadySeconds = 300   // the changer, from now on
            case .noModeSense10: quirks.modeSense10Refused = true
            case .backToBackMove: quirks.backToBackMoveHardwareError = true
            case .overlappingPages: quirks.overlappingElementPages = true
            }
            return quirks
        }
    }

    enum Fault: Sendable {
        case jam
        /// READ there: 3/11/00; WRITE there: 3/0C/00 (on the operation's cartridge).
        case mediaError(partition: Int, block: Int)
        /// NOT READY 2/04/01 for that many virtual seconds (device 0 changer, 1… drives).
        case becomingReady(device: Int, seconds: Int)
        /// Drive 0 vanishes before the operation / while its long erase runs.
        case driveGone
        case driveGoneDuringErase
        /// The changer vanishes (its transport fails) before the operation.
        case changerGone
        case sense(opcode: UInt8, device: Int, sense: HWSim.SenseData, count: Int)
        case quirk(Quirk)
        case expiredCleaner
        case tapeAlerts([UInt8])
        /// TapeAlert 14h (clean now) with the drive's cleaning request.
        case cleaningRequest

        var kind: String {
            switch self {
            case .jam: "jam"
            case .mediaError: "media error"
            case .becomingReady: "not ready"
            case .driveGone, .driveGoneDuringErase, .changerGone: "gone"
            case .sense(_, _, let sense, _): sense.key == .notReady ? "not ready" : "injected sense"
            case .quirk: "quirk"
            case .expiredCleaner: "expired cleaner"
            case .tapeAlerts, .cleaningRequest: "TapeAlert"
            }
        }

        var name: String {
            switch self {
            case .jam: return "robot jam"
            case .mediaError(let p, let b): return "media error at \(p)/\(b)"
            case .becomingReady(let device, let seconds):
                return "\(device == 0 ? "changer" : "drive \(device - 1)") becoming ready for \(seconds) s"
            case .driveGone: return "drive 0 gone"
            case .driveGoneDuringErase: return "drive 0 gone during its erase"
            case .changerGone: return "changer gone"
            case .sense(let opcode, let device, let sense, let count):
                let text = "\(sense.key) \(FaultCase.hex(sense.additional.asc))/\(FaultCase.hex(sense.additional.ascq))"
                return "\(text) on \(FaultCase.hex(opcode))h of \(device == 0 ? "the changer" : "drive \(device - 1)")"
                    + (count > 1 ? " ×\(count)" : "")
            case .quirk(let quirk): return "quirk \(quirk.rawValue)"
            case .expiredCleaner: return "expired cleaner"
            case .tapeAlerts(let flags): return "TapeAlert " + flags.map { FaultCase.hex($0) + "h" }.joined(separator: ",")
            case .cleaningRequest: return "TapeAlert 14h cleaning request"
            }
        }

        var isDriveGoneDuringErase: Bool { if case .driveGoneDuringErase = self { true } else { false } }
        var isExpiredCleaner: Bool { if case .expiredCleaner = self { true } else { false } }
    }

    enum Expected: Sendable {
        case done
        /// Error with this command's decoded sense in the message and the sense columns.
        case senseError(opcode: UInt8, key: SCSI.SenseKey, asc: UInt8, ascq: UInt8)
        /// Error without sense (refused or failed by tapelib), the message saying each part.
        case error([String])

        var isDone: Bool { if case .done = self { true } else { false } }
    }

    enum Check: Sendable {
        case at(String, ElementLocation)
        case flagsSeen(drive: Int, [UInt8])
        case cleaned(drive: Int)
        case retired(String)
        case verdict(String, String, logged: String)
        case driveOffline(Int)
        case scratch(String)
        /// A check that fails today because of a known engine bug (the reason).
        indirect case known(String, Check)
    }

    var fault: Fault
    var operation: Operation
    var expected: Expected
    var checks: [Check] = []
    /// A known engine bug that makes the whole case fail (listed for the lead to fix).
    var knownIssue: String? = nil
    /// A known engine bug limited to the sense columns of the failed task.
    var senseColumnsIssue: String? = nil

    var testDescription: String { "\(fault.name) × \(operation.rawValue)" }

    var hasKnownIssue: Bool {
        knownIssue != nil || senseColumnsIssue != nil || checks.contains { if case .known = $0 { true } else { false } }
    }

    static func hex(_ value: UInt8) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return text.count < 2 ? "0" + text : text
    }
}

enum FaultMatrix {
    private static func sense(_ key: SCSI.SenseKey, _ asc: UInt8, _ ascq: UInt8) -> HWSim.SenseData {
        HWSim.SenseData(key, SCSI.AdditionalSense(asc, ascq))
    }

    /// Sense injected into `opcode` on `device` that fails the operation with that sense.
    private static func hard(_ opcode: UInt8, device: Int, _ key: SCSI.SenseKey, _ asc: UInt8, _ ascq: UInt8,
                             _ operation: FaultCase.Operation, count: Int = 1,
                             checks: [FaultCase.Check] = [], senseColumnsIssue: String? = nil) -> FaultCase {
        FaultCase(fault: .sense(opcode: opcode, device: device, sense: sense(key, asc, ascq), count: count),
                  operation: operation, expected: .senseError(opcode: opcode, key: key, asc: asc, ascq: ascq),
                  checks: checks, senseColumnsIssue: senseColumnsIssue)
    }

    /// Sense injected into `opcode` that the engine retries or works around: the task ends done.
    private static func absorbed(_ opcode: UInt8, device: Int, _ key: SCSI.SenseKey, _ asc: UInt8, _ ascq: UInt8,
                                 _ operation: FaultCase.Operation, count: Int = 1,
                                 checks: [FaultCase.Check] = []) -> FaultCase {
        FaultCase(fault: .sense(opcode: opcode, device: device, sense: sense(key, asc, ascq), count: count),
                  operation: operation, expected: .done, checks: checks)
    }

    static let changer = 0
    static let drive0 = 1

    static let cases: [FaultCase] = {
        var cases: [FaultCase] = []
        let jammed = FaultCase.Expected.senseError(opcode: 0xA5, key: .hardwareError, asc: 0x15, ascq: 0x01)

        // Robot jam: HARDWARE ERROR 4/15/01 on the move; nothing moves.
        for operation: FaultCase.Operation in [.move, .load, .unload, .import, .export, .clean, .eraseByCartridge,
                                               .formatLTFS, .checkLTFSByCartridge] {
            cases.append(FaultCase(fault: .jam, operation: operation, expected: jammed))
        }

        // Media errors: the LTFS check reads the label of the index partition and finds damage
        // (its job: the task ends done with the verdict); the LTFS format cannot write it.
        cases.append(FaultCase(fault: .mediaError(partition: 0, block: 0), operation: .checkLTFSByDrive, expected: .done,
                               checks: [.verdict("E00001L9", "inconsistent", logged: "MEDIUM ERROR")]))
        cases.append(FaultCase(fault: .mediaError(partition: 0, block: 0), operation: .checkLTFSByCartridge,
                               expected: .done,
                               checks: [.verdict("E00002L9", "inconsistent", logged: "MEDIUM ERROR"),
                                        .at("E00002L9", .slot(2))]))
        cases.append(FaultCase(fault: .mediaError(partition: 0, block: 0), operation: .formatLTFS,
                               expected: .senseError(opcode: 0x0A, key: .mediumError, asc: 0x0C, ascq: 0x00),
                               checks: [.at("E00002L9", .slot(2))]))

        // Not ready: becoming ready for a while is waited through; other NOT READY conditions fail.
        cases.append(FaultCase(fault: .becomingReady(device: drive0, seconds: 600), operation: .load, expected: .done))
        cases.append(FaultCase(fault: .becomingReady(device: drive0, seconds: 300), operation: .eraseByDrive,
                               expected: .done, checks: [.scratch("E00001L9")]))
        cases.append(FaultCase(fault: .becomingReady(device: drive0, seconds: 600), operation: .eraseByCartridge,
                               expected: .done, checks: [.at("E00002L9", .slot(2))]))
        cases.append(FaultCase(fault: .becomingReady(device: changer, seconds: 300), operation: .sync, expected: .done))
        cases.append(FaultCase(fault: .becomingReady(device: changer, seconds: 300), operation: .move, expected: .done,
                               checks: [.at("E00001L9", .slot(7))]))
        cases.append(hard(0x00, device: drive0, .notReady, 0x04, 0x03, .load, checks: [.at("E00001L9", .drive(0))]))
        cases.append(hard(0x19, device: drive0, .notReady, 0x04, 0x03, .eraseByDrive))
        cases.append(hard(0xA5, device: changer, .notReady, 0x04, 0x12, .move, checks: [.at("E00001L9", .slot(1))]))

        // Gone: the task names the device; a drive is marked offline.
        cases.append(FaultCase(fault: .driveGoneDuringErase, operation: .eraseByDrive,
                               expected: .error(["drive with serial \(TestRig.driveSerials[0])", "disappeared"]),
                               checks: [.driveOffline(0), .at("E00001L9", .drive(0))]))
        cases.append(FaultCase(fault: .driveGone, operation: .load,
                               expected: .error(["drive with serial \(TestRig.driveSerials[0])"]),
                               checks: [.driveOffline(0), .at("E00001L9", .drive(0))]))
        cases.append(FaultCase(fault: .changerGone, operation: .move,
                               expected: .error(["changer with serial \(TestRig.changerSerial)"]),
                               checks: [.at("E00001L9", .slot(1))]))
        cases.append(FaultCase(fault: .changerGone, operation: .sync,
                               expected: .error(["changer with serial \(TestRig.changerSerial)"])))

        // Sense injected per operation code.
        // MOVE MEDIUM A5h
        cases.append(hard(0xA5, device: changer, .hardwareError, 0x44, 0x00, .move, checks: [.at("E00001L9", .slot(1))]))
        cases.append(hard(0xA5, device: changer, .illegalRequest, 0x3B, 0x0E, .load, checks: [.at("E00001L9", .slot(1))]))
        cases.append(hard(0xA5, device: changer, .hardwareError, 0x44, 0x00, .export, checks: [.at("E00002L9", .slot(2))]))
        cases.append(absorbed(0xA5, device: changer, .unitAttention, 0x29, 0x00, .move, checks: [.at("E00001L9", .slot(7))]))
        cases.append(absorbed(0xA5, device: changer, .hardwareError, 0x04, 0x03, .export,
                              checks: [.at("E00002L9", .mailSlot(1))]))
        // READ ELEMENT STATUS B8h
        cases.append(hard(0xB8, device: changer, .hardwareError, 0x44, 0x00, .sync))
        cases.append(hard(0xB8, device: changer, .hardwareError, 0x44, 0x00, .load, checks: [.at("E00001L9", .slot(1))]))
        cases.append(hard(0xB8, device: changer, .illegalRequest, 0x24, 0x00, .eraseByDrive))
        cases.append(absorbed(0xB8, device: changer, .unitAttention, 0x28, 0x00, .sync))
        // ERASE 19h
        cases.append(hard(0x19, device: drive0, .mediumError, 0x51, 0x00, .eraseByDrive))
        cases.append(hard(0x19, device: drive0, .hardwareError, 0x44, 0x00, .eraseByCartridge,
                          checks: [.at("E00002L9", .slot(2))]))
        cases.append(absorbed(0x19, device: drive0, .unitAttention, 0x28, 0x00, .eraseByDrive,
                              checks: [.scratch("E00001L9")]))
        // FORMAT MEDIUM 04h
        cases.append(hard(0x04, device: drive0, .mediumError, 0x31, 0x01, .formatPlain))
        cases.append(hard(0x04, device: drive0, .hardwareError, 0x44, 0x00, .formatLTFS, checks: [.at("E00002L9", .slot(2))],))
        // LOAD UNLOAD 1Bh (the eject before the robot pulls the cartridge)
        cases.append(hard(0x1B, device: drive0, .mediumError, 0x53, 0x00, .unload, checks: [.at("E00001L9", .drive(0))]))
        cases.append(hard(0x1B, device: drive0, .hardwareError, 0x53, 0x00, .eraseByCartridge,
                          checks: [.at("E00002L9", .drive(0))]))
        cases.append(hard(0x1B, device: drive0, .hardwareError, 0x53, 0x00, .clean, checks: [.at("CLN001L1", .drive(0))]))
        // TEST UNIT READY 00h (the load's wait, the erase's polls, the cleaning's polls)
        cases.append(hard(0x00, device: drive0, .hardwareError, 0x44, 0x00, .load, checks: [.at("E00001L9", .drive(0))]))
        cases.append(hard(0x00, device: drive0, .hardwareError, 0x44, 0x00, .eraseByDrive))
        // A clean that fails while it polls the drive still returns the cleaner home.
        cases.append(hard(0x00, device: drive0, .hardwareError, 0x44, 0x00, .clean, checks: [.at("CLN001L1", .slot(10))]))
        cases.append(absorbed(0x00, device: drive0, .unitAttention, 0x29, 0x00, .load))
        // LOG SENSE 4Dh: statistics and TapeAlert are best effort
        cases.append(absorbed(0x4D, device: drive0, .hardwareError, 0x44, 0x00, .unload, count: 8,
                              checks: [.at("E00001L9", .slot(1))]))
        cases.append(absorbed(0x4D, device: drive0, .illegalRequest, 0x24, 0x00, .clean, count: 8,
                              checks: [.cleaned(drive: 0)]))
        // MODE SENSE(10) 5Ah: refused as unsupported falls back to MODE SENSE(6); other refusals fail
        cases.append(absorbed(0x5A, device: drive0, .illegalRequest, 0x20, 0x00, .eraseByDrive,
                              checks: [.scratch("E00001L9")]))
        cases.append(hard(0x5A, device: drive0, .illegalRequest, 0x24, 0x00, .formatPlain))
        // REWIND 01h
        cases.append(hard(0x01, device: drive0, .hardwareError, 0x44, 0x00, .eraseByDrive))
        // READ(6) 08h: the check reads damage and says so
        cases.append(FaultCase(fault: .sense(opcode: 0x08, device: drive0, sense: sense(.mediumError, 0x11, 0x00), count: 1),
                               operation: .checkLTFSByDrive, expected: .done,
                               checks: [.verdict("E00001L9", "inconsistent", logged: "MEDIUM ERROR")]))
        // WRITE(6) 0Ah
        cases.append(hard(0x0A, device: drive0, .mediumError, 0x0C, 0x00, .formatLTFS, checks: [.at("E00002L9", .slot(2))],))

        // Quirks: the engine works around each one.
        let quirkOperations: [(FaultCase.Quirk, [FaultCase.Operation])] = [
            (.dvcidVoltag, [.sync, .load, .unload]),
            (.alloc16, [.sync, .move]),
            (.becomingReady, [.sync, .move, .load]),
            (.noModeSense10, [.sync, .eraseByDrive, .formatLTFS]),
            (.backToBackMove, [.import, .clean, .eraseByCartridge]),
            (.overlappingPages, [.sync, .import]),
        ]
        for (quirk, operations) in quirkOperations {
            for operation in operations {
                cases.append(FaultCase(fault: .quirk(quirk), operation: operation, expected: .done))
            }
        }

        // An expired cleaning cartridge: the task says so, the cartridge is retired.
        cases.append(FaultCase(fault: .expiredCleaner, operation: .clean,
                               expected: .error(["cleaning cartridge CLN001L1 has expired"]),
                               checks: [.retired("CLN001L1"), .at("CLN001L1", .slot(10))]))

        // TapeAlert flags raised during a mount: recorded at the unload (bit n−1).
        cases.append(FaultCase(fault: .tapeAlerts([0x01, 0x07]), operation: .unload, expected: .done,
                               checks: [.flagsSeen(drive: 0, [0x01, 0x07]), .at("E00001L9", .slot(1))]))
        cases.append(FaultCase(fault: .tapeAlerts([0x02]), operation: .eraseByCartridge, expected: .done,
                               checks: [.flagsSeen(drive: 0, [0x02]), .at("E00002L9", .slot(2))]))
        cases.append(FaultCase(fault: .cleaningRequest, operation: .clean, expected: .done, checks: [.cleaned(drive: 0)]))
        return cases
    }()
}
