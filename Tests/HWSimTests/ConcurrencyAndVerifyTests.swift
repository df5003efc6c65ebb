import SCSI
import Testing
@testable import HWSim

@Suite struct ConcurrencyAndVerifyTests {
    /// Four drives written from four tasks at once; each tape holds only its own records.
    @Test func drivesWorkInParallel() async throws {
        let lib = try Sim.library("midsize")
        let slots = [1, 2, 30, 31]  // LTO-8, LTO-8, LTO-9, LTO-9 for drives 0…3
        for (drive, slot) in slots.enumerated() { _ = try await Sim.load(lib, slot: slot, drive: drive) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for drive in 0..<4 {
                group.addTask {
                    let t = lib.driveTransport(drive)
                    for i in 0..<50 {
                        let r = try await Sim.send(t, [0x0A, 0, 0, 0, 2, 0], [UInt8(drive), UInt8(i)])
                        #expect(r.status == .good)
                    }
                }
            }
            try await group.waitForAll()
        }
        for (drive, slot) in slots.enumerated() {
            let barcode = try #require(lib.barcode(at: .drive(drive)))
            let firstBytes = lib.withCartridge(barcode) { c in
                c.partitions[0].objects.compactMap { o -> UInt8? in if case .record(let r) = o { return r[0] } else { return nil } }
            }
            #expect(firstBytes == Array(repeating: UInt8(drive), count: 50), "slot \(slot)")
        }
    }

    @Test func failedModeSelectChangesNothing() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        let before = try await Sim.run(t, [0x1A, 0x00, 0x3F, 0, 255, 0], in: 255).data
        // Valid block descriptor (block length 400h) followed by an unknown page 2Ah: refused
        // as a whole, the block length stays variable.
        let list: [UInt8] = [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x04, 0x00, 0x2A, 0x02, 0, 0]
        #expect(try await Sim.send(t, [0x15, 0x10, 0, 0, UInt8(list.count), 0], list).senseTriple == [0x05, 0x26, 0x00])
        #expect(try await Sim.run(t, [0x1A, 0x00, 0x3F, 0, 255, 0], in: 255).data == before)
    }

    @Test func verifyWalksRecordsWithoutData() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 3, 0], [1, 2, 3]).status == .good)
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 2, 0], [4, 5]).status == .good)
        #expect(try await Sim.run(t, [0x01, 0, 0, 0, 0, 0]).status == .good)
        // VERIFY(6) of 2 records (variable), then a third: end of data.
        #expect(try await Sim.run(t, [0x13, 0x00, 0, 0, 2, 0]).status == .good)
        #expect(try await DrivePositioningTests.position(t).block == 2)
        #expect(try await Sim.run(t, [0x13, 0x00, 0, 0, 1, 0]).senseTriple == [0x08, 0x00, 0x05])
        // Byte comparison is not supported.
        #expect(try await Sim.run(t, [0x13, 0x02, 0, 0, 1, 0]).senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func benchmarkHelpersRun() async throws {
        let rate = try await HWSimBenchmarks.writeThroughput(totalBytes: 64 << 20)
        #expect(rate > 0)
        let time = try await HWSimBenchmarks.largeElementStatus()
        #expect(time > .zero)
    }
}
