import SCSI
import Testing
@testable import HWSim

/// Random CDBs and parameter lists never trap: every command ends in a status.
@Suite struct RandomInputTests {
    /// SplitMix64, so a failure reproduces.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let opcodes: [UInt8] = [0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0A, 0x0B, 0x10, 0x11, 0x12, 0x13, 0x15,
                                   0x19, 0x1A, 0x1B, 0x1E, 0x2B, 0x34, 0x37, 0x44, 0x4C, 0x4D, 0x55, 0x5A, 0x8C, 0x8D,
                                   0x91, 0x92, 0xA0, 0xA2, 0xA5, 0xA6, 0xB8, 0xE7]

    @Test(arguments: [1, 2, 3])
    func randomCommandsNeverTrap(seed: UInt64) async throws {
        var rng = Generator(state: seed)
        let lib = try Sim.library("midsize", unitAttention: true) { $0.capacityScale = 1e-6 }
        lib.jamRobot(nextMoves: 1)
        for _ in 0..<4_000 {
            let device = Int.random(in: 0...4, using: &rng)
            let op = Self.opcodes.randomElement(using: &rng) ?? 0
            var cdb = [op] + (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Often keep lengths and fields small so that commands get past the first checks.
            if Bool.random(using: &rng) { for i in 1..<cdb.count where Bool.random(using: &rng) { cdb[i] = UInt8.random(in: 0...3, using: &rng) } }
            let transfer: DataTransfer
            switch Int.random(in: 0...2, using: &rng) {
            case 0: transfer = .none
            case 1: transfer = .fromDevice(allocationLength: Int.random(in: 0...70_000, using: &rng))
            default:
                transfer = .toDevice((0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            let r = try await lib.transport(device: device).execute(SCSICommand(cdb: cdb, transfer: transfer))
            #expect(r.status == .good || r.status == .checkCondition)
            if r.status == .checkCondition { #expect(r.sense.count == 18) }
            if case .fromDevice(let n) = transfer { #expect(r.data.count + r.residual == n) }
            if Int.random(in: 0..<200, using: &rng) == 0 { lib.advanceClock(by: .seconds(Int.random(in: 1...10_000, using: &rng))) }
        }
    }
}
