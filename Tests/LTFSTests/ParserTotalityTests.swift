import SCSI
import Testing
@testable import LTFS

/// Every parser is total: random, truncated and mutated input throws a typed error or parses;
/// nothing traps. A fixed seed keeps failures reproducible.
@Suite struct ParserTotalityTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func inputs(from seeds: [[UInt8]], count: Int) -> [[UInt8]] {
        var rng = SeededGenerator(state: 0x5EED)
        var out: [[UInt8]] = []
        for _ in 0..<count {
            var bytes = seeds.randomElement(using: &rng) ?? []
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            default:
                for _ in 0..<Int.random(in: 1...6, using: &rng) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            out.append(bytes)
        }
        return out
    }

    @Test func binaryParsers() throws {
        let cartridge = try SimulatedCartridge.fixture("fresh_ABC123_named")
        let seeds = [try #require(cartridge.record(0, 0))] + (cartridge.attributes[0] ?? [:]).values.sorted { $0.count < $1.count }
        var parsed = 0
        for input in Self.inputs(from: seeds, count: 3000) {
            if (try? VOL1Label.decode(input)) != nil { parsed += 1 }
            if (try? MAMAttribute.decode(input)) != nil { parsed += 1 }
            if (try? VolumeCoherency.decode(value: Array(input.dropFirst(5)))) != nil { parsed += 1 }
            if (try? EndOfDataList.status(of: 1, in: input)) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
    }

    @Test func xmlParsers() throws {
        let cartridge = try SimulatedCartridge.fixture("fresh_rules")
        let seeds = [try #require(cartridge.record(0, 2)), try #require(cartridge.record(0, 5))]
        var failures = 0
        for input in Self.inputs(from: seeds, count: 600) {
            do { _ = try LTFSLabel.decode(input) } catch { failures += 1 }
            do { _ = try LTFSIndex.decode(input) } catch { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test func checkJudgementOfMutatedVolumes() async throws {
        // Whole-volume mutations through the check: any outcome but a trap is acceptable, and
        // a mutated label is never called consistent.
        let base = try SimulatedCartridge.fixture("fresh_ABC123_named")
        let labels = Self.inputs(from: [try #require(base.record(1, 2))], count: 40)
        for label in labels where label != base.record(1, 2) {
            var c = base
            c.partitions[1][2] = .record(label)
            let report = await LTFSChecker().check(SimulatedLTFSDrive(c))
            #expect(report.verdict != .consistent || String(decoding: label, as: UTF8.self).contains("e9d3ab8c"))
        }
    }
}
