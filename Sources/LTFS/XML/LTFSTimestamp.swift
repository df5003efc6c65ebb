#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A time as LTFS records it: UTC with nanoseconds, written `YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ`
/// (LTFS Format Specification 2.4, "Time stamp format").
public struct LTFSTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// 0…999,999,999.
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds + Int64(nanoseconds / 1_000_000_000)
        self.nanoseconds = nanoseconds % 1_000_000_000
    }

    /// The current time from the real-time clock, with nanoseconds.
    public static func now() -> LTFSTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return LTFSTimestamp(seconds: Int64(ts.tv_sec), nanoseconds: UInt32(clamping: ts.tv_nsec))
    }

    public static func < (a: LTFSTimestamp, b: LTFSTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    public var description: String { formatted }

    public var formatted: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(Int64(nanoseconds), 9))Z"
    }

    /// Parses the LTFS form. The fraction may have 0–9 digits (older writers used fewer);
    /// anything else throws.
    public init(parsing text: String) throws(LTFSXMLError) {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) throws(LTFSXMLError) -> Int64 {
            guard range.upperBound <= b.count else { throw .invalidTime(text) }
            var v: Int64 = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { throw .invalidTime(text) }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
              b.last == 0x5A else { throw .invalidTime(text) }
        let year = try digits(0..<4), month = try digits(5..<7), day = try digits(8..<10)
        let hour = try digits(11..<13), minute = try digits(14..<16), second = try digits(17..<19)
        var nanos: Int64 = 0
        if b.count > 20 {
            guard b[19] == 0x2E, b.count - 21 >= 1, b.count - 21 <= 9 else { throw .invalidTime(text) }
            let fraction = try digits(20..<(b.count - 1))
            var scale: Int64 = 1
            for _ in 0..<(9 - (b.count - 21)) { scale *= 10 }
            nanos = fraction * scale
        } else {
            guard b.count == 20 else { throw .invalidTime(text) }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            throw .invalidTime(text)
        }
        let days = Self.days(fromCivil: year, month, day)
        self.init(seconds: days * 86_400 + hour * 3600 + minute * 60 + second, nanoseconds: UInt32(nanos))
    }

    // Howard Hinnant's days-from-civil and civil-from-days (proleptic Gregorian calendar).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
