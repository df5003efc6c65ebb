import SCSI
import Testing
@testable import HWSim

/// Every fault kind and quirk mode of `SimulatedLibrary` (see hwsim/README.md).
@Suite struct FaultInjectionTests {
    @Test func injectedSenseForTheNextCommands() async throws {
        let lib = try Sim.library()
        let sense = SenseData(.hardwareError, AdditionalSense(0x44, 0x00))
        lib.failNext(2, opcode: 0x00, device: 0, with: sense)
        let t = lib.changerTransport
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x04, 0x44, 0x00])
        #expect(try await Sim.run(t, [0x12, 0, 0, 0, 36, 0], in: 36).status == .good)  // other opcodes unaffected
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x04, 0x44, 0x00])
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).status == .good)
    }

    @Test func robotJam() async throws {
        let lib = try Sim.library()
        lib.jamRobot()
        let r = try await Sim.move(lib, from: 0x1000, to: 0x100)
        #expect(r.senseTriple == [0x04, 0x15, 0x01])
        #expect(lib.barcode(at: .slot(1)) == "A00001L8")
        // EXCEPT with ASC/ASCQ on the transport and the source element (SMC-3 table 58/60).
        let res = try await Sim.run(lib.changerTransport, ElementStatusTests.res(type: 0, voltag: false), in: 0xFFFF)
        #expect(Array(res.data[16..<22]) == [0x00, 0x01, 0x04, 0x00, 0x15, 0x01])
        let slot1 = 8 + (8 + 16) + (8 + 16) + 8
        #expect(Array(res.data[slot1..<(slot1 + 6)]) == [0x10, 0x00, 0x0D, 0x00, 0x15, 0x01])
        // Still jammed until INITIALIZE ELEMENT STATUS.
        #expect(try await Sim.move(lib, from: 0x1000, to: 0x100).senseTriple == [0x04, 0x15, 0x01])
        #expect(try await Sim.run(lib.changerTransport, [0x07, 0, 0, 0, 0, 0]).status == .good)
        #expect(try await Sim.move(lib, from: 0x1000, to: 0x100).status == .good)
    }

    @Test func jammedExchangeChangesNothing() async throws {
        let lib = try Sim.library()
        lib.jamRobot()
        // EXCHANGE MEDIUM (SMC-3 table 16): slot 1 → slot 2 → slot 7.
        let cdb: [UInt8] = [0xA6, 0, 0, 0, 0x10, 0x00, 0x10, 0x01, 0x10, 0x06, 0, 0]
        #expect(try await Sim.run(lib.changerTransport, cdb).senseTriple == [0x04, 0x15, 0x01])
        #expect(lib.barcode(at: .slot(1)) == "A00001L8")
        #expect(lib.barcode(at: .slot(2)) == "A00002L8")
        #expect(lib.barcode(at: .slot(7)) == nil)
    }

    @Test func backToBackMoveQuirk() async throws {
        let lib = try Sim.library { $0.quirks.backToBackMoveHardwareError = true }
        #expect(try await Sim.move(lib, from: 0x1000, to: 0x1006).status == .good)
        #expect(try await Sim.move(lib, from: 0x1001, to: 0x100).senseTriple == [0x04, 0x04, 0x03])
        // The retry (or any command in between) succeeds.
        #expect(try await Sim.move(lib, from: 0x1001, to: 0x100).status == .good)
    }

    @Test func notReadyForADuration() async throws {
        let lib = try Sim.library()
        lib.makeNotReady(device: 1, for: .seconds(30))
        let t = lib.driveTransport(0)
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x04, 0x01])
        #expect(try await Sim.run(t, [0x12, 0, 0, 0, 36, 0], in: 36).status == .good)
        lib.advanceClock(by: .seconds(31))
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x3A, 0x00])
    }

    @Test func deviceDisappears() async throws {
        let lib = try Sim.library()
        lib.disconnect(device: 1)
        await #expect(throws: TransportError.self) {
            _ = try await Sim.run(lib.driveTransport(0), [0x00, 0, 0, 0, 0, 0])
        }
        do {
            _ = try await Sim.run(lib.driveTransport(0), [0x00, 0, 0, 0, 0, 0])
        } catch let e as TransportError {
            #expect(e.code == .deviceGone)
        }
        #expect(try await Sim.run(lib.changerTransport, [0x00, 0, 0, 0, 0, 0]).status == .good)
        lib.reconnect(device: 1)
        #expect(try await Sim.run(lib.driveTransport(0), [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x29, 0x00])
        // A device number past the library is invalid.
        await #expect(throws: TransportError.self) { _ = try await Sim.run(lib.transport(device: 9), [0x00, 0, 0, 0, 0, 0]) }
    }

    @Test func shortCDBIsRejected() async throws {
        let lib = try Sim.library()
        #expect(try await Sim.run(lib.changerTransport, [0xB8, 0x10, 0, 0]).senseTriple == [0x05, 0x20, 0x00])
        #expect(try await Sim.run(lib.changerTransport, []).senseTriple == [0x05, 0x20, 0x00])
    }

    @Test func powerCycleReportsUnitAttention() async throws {
        let lib = try Sim.library()
        lib.powerCycle()
        #expect(try await Sim.run(lib.changerTransport, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x29, 0x00])
        #expect(try await Sim.run(lib.driveTransport(0), [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x29, 0x00])
    }

    @Test func virtualTimeFollowsTheTimingModel() async throws {
        let lib = try Sim.library("midsize")
        let t8 = try await Sim.load(lib, slot: 1, drive: 0)
        let t9 = try await Sim.load(lib, slot: 30, drive: 2)
        // UNLOAD (SSC-4 table 22, LOAD = 0): 20 s on LTO-8, 24 s on LTO-9; instant in real time.
        var before = lib.virtualTime
        #expect(try await Sim.run(t8, [0x1B, 0, 0, 0, 0, 0]).status == .good)
        #expect(lib.virtualTime - before == .seconds(20))
        before = lib.virtualTime
        #expect(try await Sim.run(t9, [0x1B, 0, 0, 0, 0, 0]).status == .good)
        #expect(lib.virtualTime - before == .seconds(24))
        // A robot move: 8 s.
        before = lib.virtualTime
        #expect(try await Sim.move(lib, from: lib.elementAddress(.drive(0)), to: lib.elementAddress(.slot(1))).status == .good)
        #expect(lib.virtualTime - before == .seconds(8))
    }

    @Test func realTimeSpeedDelaysMoves() async throws {
        let lib = try Sim.library()
        lib.speed = 0.01  // a robot move of 8 s takes 80 ms
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await Sim.move(lib, from: 0x1000, to: 0x1006).status == .good)
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(70))
        #expect(lib.virtualTime >= .seconds(7))
    }
}
