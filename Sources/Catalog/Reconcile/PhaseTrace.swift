import Foundation
import GRDB
import GRDBSQLite

/// Phase timings of a reconciliation, printed to stderr when TAPELIB_RECONCILE_TRACE is set.
struct PhaseTrace {
    private let enabled = ProcessInfo.processInfo.environment["TAPELIB_RECONCILE_TRACE"] != nil
    private let clock = ContinuousClock()
    private var last = ContinuousClock.now
    private var lastCPU = PhaseTrace.threadCPU()
    private var phases: [(String, Duration, Double)] = []
    private var notes: [String] = []

    var isEnabled: Bool { enabled }

    /// Pages this connection has written to the database or WAL file so far
    /// (SQLITE_DBSTATUS_CACHE_WRITE): the difference across a commit is its WAL frames.
    static func pagesWritten(_ db: Database) -> Int32 {
        var current: Int32 = 0
        var highwater: Int32 = 0
        sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highwater, 0)
        return current
    }

    mutating func note(_ text: String) {
        guard enabled else { return }
        notes.append(text)
    }

    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1e6
    }

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = clock.now
        let cpu = Self.threadCPU()
        phases.append((phase, now - last, cpu - lastCPU))
        last = now
        lastCPU = cpu
    }

    func report() {
        guard enabled else { return }
        let line = (phases.map { "\($0.0) \($0.1) (CPU \(Int($0.2)) ms)" } + notes).joined(separator: ", ")
        FileHandle.standardError.write(Data(("reconcile: " + line + "\n").utf8))
    }
}
