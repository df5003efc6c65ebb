import Foundation
import Catalog

/// A real PostgreSQL 15 server (Debian's) for this test process, started on first use by
/// `scripts/pg-server.sh` (initdb, pg_ctl start -w on a free loopback port, as the postgres
/// user under root) and stopped when the process exits. Each test gets a database of its own.
public enum PostgresTestServer {
    public struct Server: Sendable {
        public let directory: String
        public let port: Int
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Started once (a static's initialiser runs once, whichever thread asks first).
    public static let server: Result<Server, TestServerError> = start()

    public struct TestServerError: Error, CustomStringConvertible {
        public let description: String
    }

    private static func start() -> Result<Server, TestServerError> {
        stopOrphans()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapelib-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let (status, output) = runTool(["\(repositoryRoot)/scripts/pg-server.sh", "start", directory])
        guard status == 0, let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return .failure(TestServerError(description: "scripts/pg-server.sh start failed (\(status)): \(output)"))
        }
        startedDirectory = strdup(directory)
        atexit(stopPostgresTestServer)
        return .success(Server(directory: directory, port: port))
    }

    /// Servers of test processes that were killed (their exit handler never ran) are stopped:
    /// a directory is named after the process that started its server.
    private static func stopOrphans() {
        let temporary = FileManager.default.temporaryDirectory.path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        for entry in entries where entry.hasPrefix("tapelib-pg-") {
            let parts = entry.split(separator: "-")
            guard parts.count == 4, let owner = pid_t(parts[2]), owner != getpid() else { continue }
            if kill(owner, 0) != 0 && errno == ESRCH {
                _ = runTool([repositoryRoot + "/scripts/pg-server.sh", "stop", temporary + "/" + entry])
            }
        }
    }

    /// A new, empty database on the server, as a catalog configuration (not yet migrated).
    public static func makeDatabase(tls: PostgresCatalogConfiguration.TLSMode = .disable, host: String = "127.0.0.1")
        async throws -> PostgresCatalogConfiguration {
        let server = try await offPool { Self.server }.get()
        let name = "t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let (status, output): (Int32, String) = await offPool {
            runTool(["psql", "-h", "127.0.0.1", "-p", String(server.port), "-U", "tapelib", "-d", "postgres",
                     "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        }
        guard status == 0 else { throw TestServerError(description: "CREATE DATABASE failed: \(output)") }
        return PostgresCatalogConfiguration(host: host, port: server.port, user: "tapelib", database: name, tls: tls)
    }

    /// A fresh database, migrated.
    public static func makeCatalog() async throws -> PostgresCatalog {
        try await PostgresCatalog.connect(try await makeDatabase())
    }

    /// The backend holding media server `id`'s lock in `database`, if any (`pg_locks`: a bigint
    /// key's high half is `classid`, its low half `objid`).
    public static func mediaServerLockHolder(_ database: String, id: Int64) async throws -> Int? {
        Int(try await psql(database, """
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND classid = \(PostgresCatalog.mediaServerLockClass) AND objid = \(id) AND objsubid = 1
            """))
    }

    /// psql's answer to one query (`-tA`: bare values).
    public static func psql(_ database: String, _ sql: String) async throws -> String {
        let server = try await offPool { Self.server }.get()
        let (status, output): (Int32, String) = await offPool {
            runTool(["psql", "-h", "127.0.0.1", "-p", String(server.port), "-U", "tapelib", "-d", database,
                     "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql])
        }
        guard status == 0 else { throw TestServerError(description: "psql failed: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    nonisolated(unsafe) static var startedDirectory: UnsafeMutablePointer<CChar>?

    /// Runs a program to its end (stdout and stderr together, through a file). posix_spawn and
    /// waitpid rather than Foundation's Process, whose wait hangs when first used inside a
    /// static's initialiser on a dispatch thread.
    public static func runTool(_ arguments: [String]) -> (Int32, String) {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapelib-tool-\(getpid())-\(UUID().uuidString)").path
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process is inherited: the server outlives the script, and a pipe
        // of a tool another test is running concurrently would stay open in it, so that test
        // would never read its tool's end of output.
        // (glibc ≥ 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module
        // does not export.)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return (-1, "this C library has no posix_spawn_file_actions_addclosefrom_np (glibc ≥ 2.34 needed)")
        }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { return (-1, "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text)
    }

    /// Blocking work (a child process) off Swift's cooperative pool.
    public static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

/// Stops the test server when the test process exits.
private func stopPostgresTestServer() {
    guard let directory = PostgresTestServer.startedDirectory else { return }
    _ = PostgresTestServer.runTool([PostgresTestServer.repositoryRoot + "/scripts/pg-server.sh", "stop", String(cString: directory)])
}
