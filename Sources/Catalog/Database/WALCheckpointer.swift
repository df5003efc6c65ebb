import Foundation
import GRDB

/// Copies the write-ahead log of a catalog file into the database on a utility queue, through a
/// connection of its own. A 50,000-slot sync writes 1,000–2,000 pages to the WAL; with SQLite's
/// automatic checkpoint the committing sync itself would copy them and fsync both files (50–100 ms
/// of its time). SQLite documents running checkpoints from another thread instead
/// (sqlite.org/wal.html#automatic_checkpoint): a PASSIVE checkpoint takes no write lock, so it
/// neither waits for nor blocks the writer or readers, and work since the last checkpoint stays
/// readable from the WAL meanwhile.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "tapelib.catalog.checkpoint", qos: .utility)

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Schedules one PASSIVE checkpoint; failures are ignored (the next one or SQLite's own
    /// automatic checkpoint of a later commit catches up).
    func checkpointSoon() {
        queue.async { [connection] in
            try? connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        }
    }
}
