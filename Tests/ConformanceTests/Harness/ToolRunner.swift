import Foundation
import Testing

/// Runs an external tool and captures its output.
struct ToolOutput: Sendable {
    var exitCode: Int32
    var stdout: String
    var stderr: String
    var combined: String { stdout + stderr }
}

enum ToolRunner {
    /// The absolute path of `name` on PATH (plus /usr/sbin and /sbin, where mtx lives), or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin"] {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func available(_ names: String...) -> Bool { names.allSatisfy { find($0) != nil } }

    /// A test that needs `names` fails (rather than being skipped) when one is missing: these
    /// suites exist to run the real tools (`make test` installs mtx, sg3-utils and stenc).
    static func require(_ names: String..., sourceLocation: SourceLocation = #_sourceLocation) throws {
        let missing = names.filter { find($0) == nil }
        try #require(missing.isEmpty, "not installed: \(missing.joined(separator: ", "))", sourceLocation: sourceLocation)
    }

    /// Runs `executable` with `arguments`, environment additions `environment`, and waits on
    /// a thread of its own: the test's task suspends, so the cooperative pool stays free for
    /// the other suites running in parallel.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: Duration = .seconds(120)) async throws -> ToolOutput {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try runBlocking(executable, arguments, environment: environment, timeout: timeout)
                })
            }
        }
    }

    static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String],
                            timeout: Duration) throws -> ToolOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: find(executable) ?? executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes concurrently so a chatty tool cannot block on a full pipe.
        let outData = DataCollector(out.fileHandleForReading)
        let errData = DataCollector(err.fileHandleForReading)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process.waitUntilExit()
        return ToolOutput(exitCode: process.terminationStatus,
                          stdout: String(decoding: outData.finish(), as: UTF8.self),
                          stderr: String(decoding: errData.finish(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on a background thread.
final class DataCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let all = handle.readDataToEndOfFile()
            lock.withLock { data = all }
            done.signal()
        }
    }

    func finish() -> Data {
        done.wait()
        return lock.withLock { data }
    }
}
