import GRDB
import Synchronization

/// What the catalog holds for each library's elements (slot id, element digest, occupant) right
/// after reconcile committed, so that the next sync of the library reads none of its 50,000 slots
/// and their occupants. Used only when provably nothing else changed the catalog in between:
///
/// - An entry is installed by the reconcile itself right after its transaction committed, still
///   inside the same writer access, so no other write can come between that commit and the
///   install (`finishReconcile`). Whether it committed is learnt from `databaseDidCommit` *and*
///   from the transaction returning normally: a transaction SQLite rolled back by itself (a
///   COMMIT failing with a full disk, an interrupt) tells no observer, and installs nothing.
///   Any failure drops every entry (the library's old entry was already taken).
/// - Any other transaction on this connection that changes library_slots, tape_cartridges or
///   library_tape_drives drops every entry as soon as GRDB reports the change. Reconcile's own
///   bulk writes bypass GRDB's statement hooks; its GRDB statements are ignored while it runs.
///   A reconcile drops the other libraries' entries too: it may move their cartridges.
/// - Commits by other connections (another process, a second CatalogDatabase on the file) are
///   seen through `PRAGMA data_version` of the writer connection, which changes exactly when
///   another connection committed: an entry is used only if the value read inside the new
///   reconcile transaction equals the one read inside the transaction that installed it.
///
/// Writers of the three tables other than reconcile must therefore use GRDB statements (records,
/// `db.execute`), never the raw C API; all catalog code does. A checkpoint (the background
/// PASSIVE one) is no commit and keeps the entries. An entry of a 50,000-slot library is about
/// 2 MB (the `StoredSlots` table and its slot id index).
final class ReconcileCache: TransactionObserver, Sendable {
    struct Entry: Sendable {
        let slots: Reconciler.StoredSlots
        let dataVersion: Int64
    }

    private struct State: Sendable {
        var entries: [Int64: Entry] = [:]
        /// True between `beginReconcile` and `finishReconcile`.
        var reconcileInProgress = false
        /// The reconcile's transaction committed (seen by the observer).
        var committed = false
        var staged: (library: Int64, entry: Entry)?
        var hits = 0
    }

    private static let observedTables: Set<String> = ["library_slots", "tape_cartridges", "library_tape_drives"]

    private let state = Mutex(State())

    /// Called inside a reconcile transaction before it reads anything: removes and returns the
    /// library's entry if it is still valid at `dataVersion`.
    func beginReconcile(library: Int64, dataVersion: Int64) -> Reconciler.StoredSlots? {
        state.withLock { state in
            state.reconcileInProgress = true
            state.committed = false
            state.staged = nil
            guard let entry = state.entries.removeValue(forKey: library), entry.dataVersion == dataVersion else {
                return nil
            }
            state.hits += 1
            return entry.slots
        }
    }

    /// What the library holds once the running reconcile transaction commits.
    func stage(library: Int64, slots: Reconciler.StoredSlots, dataVersion: Int64) {
        state.withLock { $0.staged = (library, Entry(slots: slots, dataVersion: dataVersion)) }
    }

    /// Called by reconcile after its transaction, whatever happened: installs the staged entry
    /// only when the transaction both returned normally and was seen committing; otherwise drops
    /// every entry.
    func finishReconcile(succeeded: Bool) {
        state.withLock { state in
            if succeeded, state.committed, let staged = state.staged {
                state.entries[staged.library] = staged.entry
            } else if !succeeded {
                state.entries.removeAll()
            }
            state.staged = nil
            state.committed = false
            state.reconcileInProgress = false
        }
    }

    // MARK: - For tests

    func isCached(library: Int64) -> Bool { state.withLock { $0.entries[library] != nil } }

    /// Reconciles that used an entry instead of reading the catalog.
    var hits: Int { state.withLock { $0.hits } }

    // MARK: - TransactionObserver (called on the writer connection's queue)

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        Self.observedTables.contains(eventKind.tableName)
    }

    func databaseDidChange(with event: DatabaseEvent) {
        let inReconcile = state.withLock { state in
            if !state.reconcileInProgress { state.entries.removeAll() }
            return state.reconcileInProgress
        }
        if !inReconcile { stopObservingDatabaseChangesUntilNextTransaction() }
    }

    func databaseDidCommit(_ db: Database) {
        state.withLock { state in
            guard state.reconcileInProgress else { return }
            // The reconcile may have moved other libraries' cartridges; its own entry is
            // installed by `finishReconcile`.
            state.entries.removeAll()
            state.committed = true
        }
    }

    func databaseDidRollback(_ db: Database) {
        state.withLock { state in
            state.staged = nil
            state.committed = false
        }
    }
}
