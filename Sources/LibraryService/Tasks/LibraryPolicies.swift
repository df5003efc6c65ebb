import Catalog
import Foundation

/// The library policies of the global configuration (api.md "Global configuration keys"; the
/// seed's key names, typos included), read when the engine starts serving.
public struct LibraryPolicies: Sendable, Equatable {
    /// `unload_tape_cartridges_whes_media_server_starts`: every drive holding a cartridge is
    /// unloaded (to the cartridge's source slot, or a free one) before any other task runs.
    public var unloadAtStart: Bool
    /// `consolidating_tape_library_tasks`: consecutive tasks on one cartridge share its load.
    public var consolidate: Bool
    /// `auto_clean_tape_drives`: a clean task is queued for a drive that asks for cleaning
    /// (TapeAlert 14h/15h, read after every unload) or whose last cleaning is older than
    /// `clean_tape_drives_period` days.
    public var autoClean: Bool
    public var cleaningPeriodDays: Int
    /// `service_mode`: every hardware task waits.
    public var serviceMode: Bool
    /// `service_window_start`/`_end` (seconds of the day, local time): tasks that are not urgent
    /// (priority below `urgentPriority`) wait for the window; start > end spans midnight.
    public var serviceWindow: ClosedRange<Int>?
    public var serviceWindowSpansMidnight: Bool
    /// `done_tasks_remove_period`, `error_…`, `broken_…`, `killed_…` (minutes): finished tasks
    /// older than this are removed with their logs.
    public var retentionMinutes: [TaskStatus: Int]

    /// Tasks at or above this priority (the engine's own recovery work) ignore the window.
    public static let urgentPriority = 1_000

    public init(unloadAtStart: Bool = true, consolidate: Bool = true, autoClean: Bool = false,
                cleaningPeriodDays: Int = 30, serviceMode: Bool = false) {
        self.unloadAtStart = unloadAtStart
        self.consolidate = consolidate
        self.autoClean = autoClean
        self.cleaningPeriodDays = cleaningPeriodDays
        self.serviceMode = serviceMode
        self.serviceWindow = nil
        self.serviceWindowSpansMidnight = false
        self.retentionMinutes = [.done: 1_440, .error: 10_080, .broken: 10_080, .killed: 10_080]
    }

    /// From the global configuration; a missing key keeps the seed's default, and a value that
    /// cannot be read is refused with the key's name.
    public init(configuration: [String: String]) throws(LibraryServiceError) {
        self.init()
        unloadAtStart = try Self.flag(configuration, "unload_tape_cartridges_whes_media_server_starts",
                                      default: unloadAtStart)
        consolidate = try Self.flag(configuration, "consolidating_tape_library_tasks", default: consolidate)
        autoClean = try Self.flag(configuration, "auto_clean_tape_drives", default: autoClean)
        cleaningPeriodDays = try Self.number(configuration, "clean_tape_drives_period", default: cleaningPeriodDays,
                                             range: 1...3_650)
        serviceMode = try Self.flag(configuration, "service_mode", default: serviceMode)
        let start = try Self.timeOfDay(configuration, "service_window_start")
        let end = try Self.timeOfDay(configuration, "service_window_end")
        if let start, let end {
            serviceWindowSpansMidnight = start > end
            serviceWindow = min(start, end)...max(start, end)
        }
        for (status, key) in [(TaskStatus.done, "done_tasks_remove_period"), (.error, "error_tasks_remove_period"),
                              (.broken, "broken_tasks_remove_period"), (.killed, "killed_tasks_remove_period")] {
            retentionMinutes[status] = try Self.number(configuration, key, default: retentionMinutes[status] ?? 10_080,
                                                       range: 1...5_256_000)
        }
    }

    /// Whether a task of `priority` may run at `date` (service mode, then the window).
    public func allowsHardwareWork(priority: Int, at date: Date, calendar: Calendar = .current) -> Bool {
        if serviceMode { return false }
        guard priority < Self.urgentPriority, let window = serviceWindow else { return true }
        let parts = calendar.dateComponents([.hour, .minute, .second], from: date)
        let second = (parts.hour ?? 0) * 3_600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)
        // Spanning midnight (start 22:00, end 06:00 is stored as 06:00…22:00): from the start
        // to midnight, and from midnight to the end.
        return serviceWindowSpansMidnight
            ? second >= window.upperBound || second <= window.lowerBound
            : window.contains(second)
    }

    static func number(_ configuration: [String: String], _ key: String, default value: Int,
                       range: ClosedRange<Int>) throws(LibraryServiceError) -> Int {
        guard let text = configuration[key] else { return value }
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw .invalidTask("global configuration \(key) is \"\(text)\"; expected a whole number in "
                               + "\(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    /// "HH:MM:SS" (or "HH:MM") as seconds of the day.
    static func timeOfDay(_ configuration: [String: String], _ key: String) throws(LibraryServiceError) -> Int? {
        guard let text = configuration[key] else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }),
              let hour = parts[0], let minute = parts[1], (0...23).contains(hour), (0...59).contains(minute),
              (0...59).contains(parts.count == 3 ? parts[2] ?? -1 : 0) else {
            throw .invalidTask("global configuration \(key) is \"\(text)\"; expected HH:MM:SS")
        }
        return hour * 3_600 + minute * 60 + (parts.count == 3 ? parts[2] ?? 0 : 0)
    }

    static func flag(_ configuration: [String: String], _ key: String, default value: Bool) throws(LibraryServiceError)
        -> Bool {
        guard let text = configuration[key] else { return value }
        switch text.lowercased() {
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw .invalidTask("global configuration \(key) is \"\(text)\"; expected yes or no")
        }
    }
}
