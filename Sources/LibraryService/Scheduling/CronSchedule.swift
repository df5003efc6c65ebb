import Foundation

/// A five-field crontab schedule (minute hour day-of-month month day-of-week), as cron(8)
/// reads it: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month and day
/// names (`jan`, `mon`), day of week 0–7 with 0 and 7 both Sunday. When both day fields are
/// restricted a day matching either runs the job (Vixie cron's rule).
public struct CronSchedule: Sendable, Hashable {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    public let daysOfWeek: Set<Int>
    /// The hours and minutes in order, for the search in `next(after:)`.
    private let hourOrder: [Int]
    private let minuteOrder: [Int]
    private let dayOfMonthRestricted: Bool
    private let dayOfWeekRestricted: Bool

    public init(_ text: String) throws(CronError) {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw CronError("a crontab needs 5 fields (minute hour day-of-month month day-of-week), not \(fields.count)")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [:])
        hours = try Self.field(fields[1], "hour", 0...23, names: [:])
        daysOfMonth = try Self.field(fields[2], "day of month", 1...31, names: [:])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames)
        let weekdays = try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames)
        daysOfWeek = Set(weekdays.map { $0 % 7 })
        hourOrder = hours.sorted()
        minuteOrder = minutes.sorted()
        // As Vixie cron: a day field starting with "*" (also "*/2") is the unrestricted one.
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    /// The first minute strictly after `date` that the schedule matches, in `calendar`'s time
    /// zone; nil when none comes within eight years (a date like 31 February never does).
    public func next(after date: Date, calendar: Calendar = .current) -> Date? {
        let start = calendar.dateInterval(of: .minute, for: date)?.end ?? date.addingTimeInterval(60)
        var components = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
        guard var year = components.year else { return nil }
        let lastYear = year + 8
        while year <= lastYear {
            guard let month = components.month, let day = components.day,
                  let hour = components.hour, let minute = components.minute else { return nil }
            if !months.contains(month) {
                components = Self.advance(&year, month: month + 1)
                continue
            }
            guard let candidate = calendar.date(from: DateComponents(year: year, month: month, day: day)),
                  calendar.component(.month, from: candidate) == month else {
                components = Self.advance(&year, month: month + 1)   // past the month's last day
                continue
            }
            let weekday = calendar.component(.weekday, from: candidate) - 1
            if !dayMatches(day: day, weekday: weekday) {
                components = DateComponents(year: year, month: month, day: day + 1, hour: 0, minute: 0)
                continue
            }
            guard let nextHour = hourOrder.first(where: { $0 >= hour }) else {
                components = DateComponents(year: year, month: month, day: day + 1, hour: 0, minute: 0)
                continue
            }
            let fromMinute = nextHour == hour ? minute : 0
            guard let nextMinute = minuteOrder.first(where: { $0 >= fromMinute }) else {
                components = DateComponents(year: year, month: month, day: day, hour: hour + 1, minute: 0)
                continue
            }
            if let result = calendar.date(from: DateComponents(year: year, month: month, day: day,
                                                               hour: nextHour, minute: nextMinute)),
               result > date {
                return result
            }
            components = DateComponents(year: year, month: month, day: day, hour: nextHour, minute: nextMinute + 1)
        }
        return nil
    }

    /// Vixie cron: when both day fields are restricted a day matching either runs the job;
    /// otherwise both must match (a "*" field holds every day, "*/2" only every other one).
    private func dayMatches(day: Int, weekday: Int) -> Bool {
        if dayOfMonthRestricted && dayOfWeekRestricted {
            return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        }
        return daysOfMonth.contains(day) && daysOfWeek.contains(weekday)
    }

    /// The first day of month `month` (13 → January of the next year).
    private static func advance(_ year: inout Int, month: Int) -> DateComponents {
        if month > 12 { year += 1; return DateComponents(year: year, month: 1, day: 1, hour: 0, minute: 0) }
        return DateComponents(year: year, month: month, day: 1, hour: 0, minute: 0)
    }

    private static let monthNames = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                                     "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
    private static let dayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>,
                              names: [String: Int]) throws(CronError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else {
                throw CronError("\(name) field \"\(text)\": \"\(part)\" is not a value, range or step")
            }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0, value <= range.upperBound + 1 else {
                    throw CronError("\(name) field \"\(text)\": step \"\(pieces[1])\" is not 1…\(range.upperBound + 1)")
                }
                step = value
            }
            let low: Int, high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash], name, text, range, names)
                high = try value(base[base.index(after: dash)...], name, text, range, names)
                guard low <= high else { throw CronError("\(name) field \"\(text)\": range \(low)-\(high) runs backwards") }
            } else {
                low = try value(base, name, text, range, names)
                high = pieces.count == 2 ? range.upperBound : low
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    private static func value(_ text: Substring, _ name: String, _ field: String, _ range: ClosedRange<Int>,
                              _ names: [String: Int]) throws(CronError) -> Int {
        if let named = names[text.lowercased()] { return named }
        guard text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber), let number = Int(text), range.contains(number) else {
            throw CronError("\(name) field \"\(field)\": \"\(text)\" is not in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }
}

public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
