import GRDB
import Synchronization

/// A number that changes whenever the catalog may have changed, for caches of what was read
/// from it (the API's response and token caches): a value read before a query and equal to the
/// current one afterwards proves that nothing committed in between.
///
/// - Commits on this process's writer connection are seen by `databaseDidCommit`, which GRDB
///   calls for every transaction the connection commits (also reconcile's, whose bulk writes
///   bypass GRDB's change hooks), before the write's caller resumes. Empty transactions count
///   too: a spurious change only costs a cache miss.
/// - Commits by other connections (another process on the same file: `tapelib` commands while
///   `tapelib serve` runs) are seen by `pollExternalCommits`, which compares the writer
///   connection's `PRAGMA data_version` (it changes exactly when another connection committed)
///   at each poll: such a commit is seen within one poll interval.
public final class CatalogChanges: TransactionObserver, Sendable {
    private let counter = Atomic<UInt64>(0)
    private let lastDataVersion = Mutex<Int64?>(nil)

    init() {}

    /// The current change number.
    public var current: UInt64 { counter.load(ordering: .acquiring) }

    func bump() { counter.add(1, ordering: .releasing) }

    /// Reads the writer connection's data_version; a value different from the last one seen
    /// means another connection committed.
    func noteDataVersion(_ version: Int64) {
        let changed = lastDataVersion.withLock { last in
            defer { last = version }
            return last != nil && last != version
        }
        if changed { bump() }
    }

    // MARK: - TransactionObserver (called on the writer connection's queue)

    public func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    public func databaseDidChange(with event: DatabaseEvent) {}
    public func databaseDidCommit(_ db: Database) { bump() }
    public func databaseDidRollback(_ db: Database) {}
}

extension CatalogDatabase {
    /// Polls for commits made by other connections every `interval` until the task is
    /// cancelled (see `CatalogChanges`). Reading data_version takes the writer for microseconds.
    public func pollExternalCommits(every interval: Duration) async {
        while !Task.isCancelled {
            if let version = try? await write(transaction: false, { db in
                try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
            }) {
                changes.noteDataVersion(version)
            }
            try? await Task.sleep(for: interval)
        }
    }
}
