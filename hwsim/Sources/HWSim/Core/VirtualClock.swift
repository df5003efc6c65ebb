import Foundation

/// The simulator's clock. Modelled durations (robot moves, loads, rewinds, erases) advance
/// virtual time; `speed` scales how much real time they take: 0 = instant (the default, for
/// tests), 1 = real time. With speed > 0 virtual time follows real time divided by the speed.
final class VirtualClock: @unchecked Sendable {
    private(set) var speed: Double
    private var manualOffset: Duration = .zero
    private var accumulated: Duration = .zero
    private let origin = ContinuousClock.now

    init(speed: Double) { self.speed = speed.isFinite ? max(0, speed) : 0 }

    /// Virtual time since the library was built.
    var now: Duration {
        if speed == 0 { return manualOffset + accumulated }
        return manualOffset + (ContinuousClock.now - origin) / speed
    }

    func advance(by d: Duration) { manualOffset += d }

    func setSpeed(_ s: Double) {
        let current = now
        speed = max(0, s)
        // Keep virtual time continuous across a speed change.
        manualOffset = .zero; accumulated = .zero
        if speed == 0 { accumulated = current } else { manualOffset = current - (ContinuousClock.now - origin) / speed }
    }

    /// Accounts an operation of virtual length `d`; returns the real time the caller must wait.
    func elapse(_ d: Duration) -> Duration {
        guard d > .zero else { return .zero }
        if speed == 0 { accumulated += d; return .zero }
        return d * speed
    }
}

/// Modelled durations of mechanical operations (typical figures from drive manuals). Public
/// so that simulated-time models of library work (tapelib's mount scheduling tests and bench)
/// use the same figures as the simulator.
public enum TimingModel {
    public static let robotMove: Duration = .seconds(8)
    static let robotScan: Duration = .seconds(60)
    /// Load and thread: longer on later generations (more wraps to calibrate).
    public static func load(_ g: LTOGeneration) -> Duration { .seconds(g.number <= 6 ? 12 : (g.number <= 8 ? 15 : 18)) }
    public static func unload(_ g: LTOGeneration) -> Duration { .seconds(g.number <= 6 ? 15 : (g.number <= 8 ? 20 : 24)) }
    static let cleaning: Duration = .seconds(90)
    static let shortErase: Duration = .seconds(5)

    /// Rewind time grows with how far the tape is wound: a full length takes about 60 s on
    /// LTO-1…4, 80 s on LTO-5…7 and 100 s on LTO-8 and later (longer tape).
    static func rewind(fraction: Double, generation g: LTOGeneration = .lto8) -> Duration {
        let full: Double = g.number <= 4 ? 60_000 : (g.number <= 7 ? 80_000 : 100_000)
        return .milliseconds(Int64(2_000 + (full - 2_000) * min(1, max(0, fraction.isFinite ? fraction : 1))))
    }

    /// Long erase writes the whole tape at native speed.
    static func longErase(capacity: Int64, generation: LTOGeneration) -> Duration {
        .seconds(Double(capacity) / Double(generation.megabytesPerSecond * 1_000_000))
    }

    /// Formatting: about a minute, LTO-9 media optimisation on top (first format).
    static func format(generation: LTOGeneration) -> Duration {
        generation == .lto9 ? .seconds(40 * 60) : .seconds(60)
    }

    /// Streaming time for `bytes` at the drive's native rate.
    static func transfer(bytes: Int, generation: LTOGeneration) -> Duration {
        .nanoseconds(Int64(Double(bytes) * 1_000 / Double(generation.megabytesPerSecond)))
    }
}
