import Foundation
import HWSim
import SCSI
import Testing
@testable import TapeHardware

/// MediumChanger against the simulator: inventory, moves, refusals, faults and field quirks.
@Suite struct MediumChangerTests {
    static func changer(_ library: SimulatedLibrary) -> MediumChanger {
        MediumChanger(transport: library.changerTransport, retryInterval: .zero, becomingReadyTimeout: .seconds(5))
    }

    /// The inventory agrees with the profile the library was built from, for every profile:
    /// every cartridge is where the profile put it, with its barcode, and nothing else is full.
    @Test(arguments: ["autoloader", "midsize", "large"])
    func inventoryMatchesProfile(_ name: String) async throws {
        let profile = try LibraryProfile.named(name)
        let library = try SimulatedLibrary(profile: profile)
        let inventory = try await Self.changer(library).inventory()
        #expect(inventory.storage.count == profile.storageSlots)
        #expect(inventory.importExport.count == profile.importExportSlots)
        #expect(inventory.drives.count == profile.drives.count)
        var expected: [Int: String] = [:]   // mtx number (drives negative-1-offset) → barcode
        for c in profile.cartridges {
            switch c.location {
            case .slot(let n): expected[n] = c.barcode
            case .mailSlot(let n): expected[profile.storageSlots + n] = c.barcode
            case .drive(let n): expected[-1 - n] = c.barcode
            }
        }
        var seen: [Int: String] = [:]
        for e in inventory.storage + inventory.importExport where e.full { seen[e.number] = e.volumeTag ?? "" }
        for d in inventory.drives where d.full { seen[-1 - d.number] = d.volumeTag ?? "" }
        #expect(seen == expected)
        // Drives report their own serials through DVCID where the profile gives them one.
        for (i, drive) in profile.drives.enumerated() where drive.identifierStyle != .none {
            #expect(inventory.drives[i].driveSerial == drive.identity.serial)
        }
    }

    @Test func loadAndUnloadReturnsCartridgeHome() async throws {
        let library = try SimulatedLibrary(profile: .named("midsize"))
        let changer = Self.changer(library)
        let before = try await changer.inventory()
        let slot = try #require(before.storage.first { $0.full })
        _ = try await changer.load(slot: slot.number, drive: 1)
        let loaded = try await changer.inventory()
        #expect(loaded.drives[1].full)
        #expect(loaded.drives[1].volumeTag == slot.volumeTag)
        #expect(loaded.drives[1].sourceAddress == slot.address)
        #expect(loaded.slot(number: slot.number)?.full == false)
        try await TapeDrive(transport: library.driveTransport(1)).unload()
        let home = try await changer.unload(drive: 1)
        #expect(home.number == slot.number)
        let after = try await changer.inventory()
        #expect(after.storage.map(\.volumeTag) == before.storage.map(\.volumeTag))
        #expect(after.drives.map(\.full) == before.drives.map(\.full))
    }

    @Test func refusalsNameTheReasonAndChangeNothing() async throws {
        let library = try SimulatedLibrary(profile: .named("midsize"))
        let changer = Self.changer(library)
        let before = try await changer.inventory()
        let empty = try #require(before.storage.first { !$0.full })
        let full = try #require(before.storage.first { $0.full })
        await #expect(throws: ChangerError.slotEmpty(empty.number)) {
            _ = try await changer.load(slot: empty.number, drive: 0)
        }
        await #expect(throws: ChangerError.noSuchDrive(9)) { _ = try await changer.load(slot: full.number, drive: 9) }
        await #expect(throws: ChangerError.noSuchSlot(10_000)) { _ = try await changer.load(slot: 10_000, drive: 0) }
        // The device itself refuses a move from an empty element: 05h/3Bh/0Eh.
        do {
            try await changer.move(from: empty.address, to: before.drives[0].address)
            Issue.record("move from an empty slot succeeded")
        } catch {
            #expect(error.matches(.illegalRequest, .sourceElementEmpty))
        }
        do {
            try await changer.move(from: full.address, to: before.storage.first { $0.full && $0.address != full.address }!.address)
            Issue.record("move to a full slot succeeded")
        } catch {
            #expect(error.matches(.illegalRequest, .destinationElementFull))
        }
        #expect(try await changer.inventory() == before)
    }

    @Test func robotJamReportsHardwareErrorAndMovesNothing() async throws {
        let library = try SimulatedLibrary(profile: .named("autoloader"))
        let changer = Self.changer(library)
        let before = try await changer.inventory()
        library.jamRobot(nextMoves: 1)
        do {
            _ = try await changer.load(slot: 1, drive: 0)
            Issue.record("jammed move succeeded")
        } catch {
            #expect(error.sense?.senseKey == .hardwareError)
        }
        let after = try await changer.inventory()
        #expect(after.drives.map(\.full) == before.drives.map(\.full))
        #expect(after.storage.map(\.volumeTag) == before.storage.map(\.volumeTag))
    }

    /// The simulator's clock is virtual: NOT READY lasts until virtual time passes. With
    /// `retryInterval: .zero` the runner counts each NOT READY retry as the backoff pause it
    /// would have taken (CommandRunner.retryDelay from 500 ms); this transport lets exactly that
    /// much virtual time pass after each NOT READY answer, so a budget of N seconds is N
    /// simulated seconds, and the retry policy is exercised deterministically (no race with
    /// wall-clock time).
    final class ClockAdvancingTransport: SCSITransport, @unchecked Sendable {
        static let retryAccounting: Duration = .milliseconds(500)
        let library: SimulatedLibrary
        private let lock = NSLock()
        private var consecutiveNotReady = 0
        init(library: SimulatedLibrary) { self.library = library }
        func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
            let result = try await library.changerTransport.execute(command)
            let step: Duration? = lock.withLock {
                guard result.senseData?.senseKey == .notReady else { consecutiveNotReady = 0; return nil }
                defer { consecutiveNotReady += 1 }
                return CommandRunner.retryDelay(attempt: consecutiveNotReady, base: Self.retryAccounting)
            }
            if let step { library.advanceClock(by: step) }
            return result
        }
    }

    /// A changer NOT READY for 30 simulated seconds, waited out within a 60 s budget.
    @Test func becomingReadyIsWaitedOut() async throws {
        let library = try SimulatedLibrary(profile: .named("autoloader"))
        let start = library.virtualTime
        library.makeNotReady(device: 0, for: .seconds(30))
        let changer = MediumChanger(transport: ClockAdvancingTransport(library: library),
                                    retryInterval: .zero, becomingReadyTimeout: .seconds(60))
        let inventory = try await changer.inventory()
        #expect(!inventory.storage.isEmpty)
        let waited = library.virtualTime - start
        // Backoff: the last pause (10 s at most) may pass the moment it ends.
        #expect(waited >= .seconds(30) && waited <= .seconds(40), "waited \(waited)")
    }

    @Test func becomingReadyGivesUpAfterTheTimeout() async throws {
        let library = try SimulatedLibrary(profile: .named("autoloader"))
        library.makeNotReady(device: 0, for: .seconds(3600))
        let changer = MediumChanger(transport: library.changerTransport, retryInterval: .milliseconds(5),
                                    becomingReadyTimeout: .milliseconds(100))
        do {
            _ = try await changer.inventory()
            Issue.record("a changer that never becomes ready was inventoried")
        } catch {
            #expect(error.matches(.notReady, .becomingReady))
        }
    }

    @Test func vanishedChangerIsATransportError() async throws {
        let library = try SimulatedLibrary(profile: .named("autoloader"))
        library.disconnect(device: 0)
        do {
            _ = try await Self.changer(library).inventory()
            Issue.record("inventory of a vanished changer succeeded")
        } catch {
            guard case .transport(let t) = error else { Issue.record("expected transport error, got \(error)"); return }
            #expect(t.code == .deviceGone)
        }
    }

    // MARK: Field quirks (scsi-reference.md): each has a hwsim mode and tapelib copes.

    static func quirky(_ configure: (inout QuirkSet) -> Void) throws -> SimulatedLibrary {
        var profile = try LibraryProfile.named("midsize")
        configure(&profile.quirks)
        return try SimulatedLibrary(profile: profile)
    }

    @Test func dvcidWithVoltagRefusedStillYieldsTagsAndSerials() async throws {
        let plain = try await Self.changer(try SimulatedLibrary(profile: .named("midsize"))).inventory()
        let library = try Self.quirky { $0.dvcidWithVoltagRefused = true }
        let inventory = try await Self.changer(library).inventory()
        #expect(inventory == plain)
        #expect(inventory.drives.allSatisfy { $0.driveSerial != nil || !$0.full } )
    }

    @Test func sixteenBitAllocationLengthOnLargeLibrary() async throws {
        var profile = LibraryProfile.large()
        let plain = try await Self.changer(try SimulatedLibrary(profile: profile)).inventory()
        profile.quirks.sixteenBitAllocationLength = true
        let inventory = try await Self.changer(try SimulatedLibrary(profile: profile)).inventory()
        #expect(inventory == plain)
        #expect(inventory.storage.count == 10_000)
    }

    @Test func overlappingPagesDoNotCorruptTheInventory() async throws {
        let plain = try await Self.changer(try SimulatedLibrary(profile: .named("midsize"))).inventory()
        let library = try Self.quirky { $0.overlappingElementPages = true }
        #expect(try await Self.changer(library).inventory() == plain)
    }

    @Test func backToBackMoveHardwareErrorIsRetried() async throws {
        let library = try Self.quirky { $0.backToBackMoveHardwareError = true }
        let changer = Self.changer(library)
        await changer.setMoveRetryPause(.zero)
        let inv = try await changer.inventory()
        let full = inv.storage.filter(\.full)
        let empty = inv.storage.filter { !$0.full }
        try await changer.move(from: full[0].address, to: empty[0].address)
        try await changer.move(from: full[1].address, to: empty[1].address)
        let after = try await changer.inventory()
        #expect(after.element(address: empty[1].address)?.volumeTag == full[1].volumeTag)
    }

    /// A library that inventories for 120 s after power-on, waited out within a 150 s budget.
    @Test func becomingReadyAfterPowerOnQuirk() async throws {
        let library = try Self.quirky { $0.becomingReadySeconds = 120 }
        library.powerCycle()
        let start = library.virtualTime
        let changer = MediumChanger(transport: ClockAdvancingTransport(library: library),
                                    retryInterval: .zero, becomingReadyTimeout: .seconds(150))
        let inventory = try await changer.inventory()
        #expect(inventory.storage.count == 80)
        let waited = library.virtualTime - start
        // Backoff: the last pause (10 s at most) may pass the moment it ends.
        #expect(waited >= .seconds(120) && waited <= .seconds(130), "waited \(waited)")
    }

    /// The budget is simulated time: a 60 s budget gives up on a library that needs 120 s,
    /// after 60 simulated seconds of retries, with the changer's NOT READY sense.
    @Test func becomingReadyBudgetIsTheSimulatedTime() async throws {
        let library = try Self.quirky { $0.becomingReadySeconds = 120 }
        library.powerCycle()
        let start = library.virtualTime
        let changer = MediumChanger(transport: ClockAdvancingTransport(library: library),
                                    retryInterval: .zero, becomingReadyTimeout: .seconds(60))
        do {
            _ = try await changer.inventory()
            Issue.record("a 60 s budget waited out 120 s of becoming ready")
        } catch {
            #expect(error.matches(.notReady, .becomingReady), "\(error)")
        }
        let waited = library.virtualTime - start
        // Backoff: the last retry starts before 60 s and its pause (10 s at most) ends after;
        // the transport lets one more pause pass on the final NOT READY.
        #expect(waited >= .seconds(60) && waited <= .seconds(80), "waited \(waited)")
    }
}

@Suite struct RetryBackoffTests {
    @Test func pausesDoubleUpToTheCap() {
        let delays = (0..<8).map { CommandRunner.retryDelay(attempt: $0, base: .milliseconds(500)) }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8),
                           .seconds(10), .seconds(10), .seconds(10)])
        #expect(CommandRunner.retryDelay(attempt: 1_000, base: .milliseconds(1)) == .seconds(10))
        #expect(CommandRunner.retryDelay(attempt: 3, base: .seconds(30)) == .seconds(30))
    }
}
