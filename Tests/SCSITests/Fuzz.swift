import Testing
@testable import SCSI

/// SplitMix64: a small seeded generator so fuzz inputs are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fuzz {
    /// Runs `parse` on seeded random inputs, every truncation of each valid response, and
    /// copies of each valid response with single bytes set to 00h/FFh (which hits every
    /// length field with zero and oversized values). Any thrown error must be a
    /// `SCSIParseError`; a trap fails the test run. Returns how many inputs parsed.
    @discardableResult
    static func assertTotal(valid: [[UInt8]], randomCount: Int = 3_000, maxLength: Int = 600,
                            seed: UInt64 = 0x5C51,
                            _ parse: ([UInt8]) throws -> Void) -> Int {
        var parsed = 0
        func run(_ input: [UInt8]) {
            do {
                try parse(input)
                parsed += 1
            } catch is SCSIParseError {
            } catch {
                Issue.record("non-SCSIParseError thrown: \(error)")
            }
        }
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<randomCount {
            let length = Int.random(in: 0...maxLength, using: &rng)
            run((0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        for response in valid {
            for n in 0...response.count { run(Array(response.prefix(n))) }
            for i in response.indices {
                for v: UInt8 in [0x00, 0xFF, 0x7F, 0x80] {
                    var mutated = response
                    mutated[i] = v
                    run(mutated)
                }
            }
            // Random byte flips of a valid response reach deeper than pure noise.
            for _ in 0..<(randomCount / 4) {
                var mutated = response
                guard !mutated.isEmpty else { break }
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<mutated.count, using: &rng)
                    mutated[i] = UInt8.random(in: 0...255, using: &rng)
                }
                run(mutated)
            }
        }
        return parsed
    }
}

/// Hex-string helper for byte vectors: "70 00 02" → [0x70, 0x00, 0x02].
func bytes(_ hex: String) -> [UInt8] {
    hex.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt8($0, radix: 16) }
}

/// Space-padded ASCII field of `width` bytes.
func ascii(_ s: String, _ width: Int) -> [UInt8] {
    let b = Array(s.utf8.prefix(width))
    return b + Array(repeating: 0x20, count: width - b.count)
}
