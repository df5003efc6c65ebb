import Foundation

/// Parses the timestamps filter_data compares against, e.g. `2024-08-19T19:20:28.614838+03:00`
/// (the seed's example): `YYYY-MM-DD`, optionally `T` or space, `HH:MM[:SS[.fraction]]`, and
/// `Z` or `±HH:MM` / `±HHMM` (UTC when absent). Total: anything else returns nil.
public enum ISO8601Timestamp {
    public static func parse(_ text: String) -> Date? {
        var reader = Reader(bytes: Array(text.utf8))
        guard let year = reader.digits(4), reader.expect("-"),
              let month = reader.digits(2), reader.expect("-"),
              let day = reader.digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var offsetSeconds = 0
        if !reader.atEnd {
            guard reader.expect("T") || reader.expect("t") || reader.expect(" ") else { return nil }
            guard let h = reader.digits(2), reader.expect(":"), let m = reader.digits(2) else { return nil }
            hour = h; minute = m
            if reader.expect(":") {
                guard let s = reader.digits(2) else { return nil }
                second = s
                if reader.expect(".") || reader.expect(",") {
                    var scale = 0.1
                    var count = 0
                    while let digit = reader.digit() {
                        count += 1
                        guard count <= 9 else { return nil }
                        fraction += Double(digit) * scale
                        scale /= 10
                    }
                    guard count > 0 else { return nil }
                }
            }
            guard hour <= 23, minute <= 59, second <= 60 else { return nil }
            if reader.expect("Z") || reader.expect("z") {
                offsetSeconds = 0
            } else if let sign = reader.sign() {
                guard let oh = reader.digits(2) else { return nil }
                _ = reader.expect(":")
                guard let om = reader.digits(2), oh <= 23, om <= 59 else { return nil }
                offsetSeconds = sign * (oh * 3600 + om * 60)
            }
        }
        guard reader.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        mutating func expect(_ character: Character) -> Bool {
            guard let ascii = character.asciiValue, index < bytes.count, bytes[index] == ascii else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else {
                return nil
            }
            defer { index += 1 }
            return Int(bytes[index] - UInt8(ascii: "0"))
        }

        mutating func digits(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func sign() -> Int? {
            if expect("+") { return 1 }
            if expect("-") { return -1 }
            return nil
        }
    }
}
