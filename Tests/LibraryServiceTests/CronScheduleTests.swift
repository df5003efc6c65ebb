import Foundation
import LibraryService
import Testing

/// Crontab schedules against dates worked out by hand from a calendar (UTC; 2026-11-23 is a
/// Monday), as cron(8) reads the five fields.
@Suite struct CronScheduleTests {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text) ?? Date(timeIntervalSince1970: 0)
    }

    @Test(arguments: [
        ("0 3 * * *", "2026-11-23T04:00:00Z", "2026-11-24T03:00:00Z"),
        ("*/15 * * * *", "2026-11-23T10:07:30Z", "2026-11-23T10:15:00Z"),
        ("*/15 * * * *", "2026-11-23T10:15:00Z", "2026-11-23T10:30:00Z"),   // strictly after
        ("30 2 1 * *", "2026-01-31T12:00:00Z", "2026-02-01T02:30:00Z"),
        ("0 12 * * mon-fri", "2026-11-21T13:00:00Z", "2026-11-23T12:00:00Z"),   // Saturday → Monday
        ("0 0 13 * 5", "2026-11-23T00:00:00Z", "2026-11-27T00:00:00Z"),   // 13th or Friday: Friday first
        ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
        ("0 0 29 feb *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),   // leap day
        ("0 6 * * 7", "2026-11-23T00:00:00Z", "2026-11-29T06:00:00Z"),   // 7 is Sunday too
        ("5,35 9-10 * * *", "2026-11-23T09:36:00Z", "2026-11-23T10:05:00Z"),
        ("0 22-23/1 * * *", "2026-11-23T23:30:00Z", "2026-11-24T22:00:00Z"),
        // "*/2" in a day field counts as unrestricted (Vixie cron): odd-numbered Mondays only.
        ("0 0 */2 * mon", "2026-11-23T12:00:00Z", "2026-12-07T00:00:00Z"),
    ])
    func nextRun(_ crontab: String, _ after: String, _ expected: String) throws {
        let schedule = try CronSchedule(crontab)
        #expect(schedule.next(after: Self.date(after), calendar: Self.utc) == Self.date(expected))
    }

    @Test func aDateThatNeverComesHasNoNextRun() throws {
        #expect(try CronSchedule("0 0 31 2 *").next(after: Self.date("2026-01-01T00:00:00Z"), calendar: Self.utc) == nil)
    }

    @Test(arguments: ["", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
                      "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *", "1/2/3 * * * *",
                      "-1 * * * *", "* * * foo *", "+5 * * * *"])
    func malformedCrontabsAreRefusedWithTheField(_ crontab: String) {
        #expect(throws: CronError.self) { try CronSchedule(crontab) }
    }

    @Test func randomTextNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789*/,- \tjanmonsunxyz")
        for _ in 0..<3_000 {
            let text = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            })
            if let schedule = try? CronSchedule(text) {
                _ = schedule.next(after: Date(), calendar: Self.utc)
            }
        }
    }
}
