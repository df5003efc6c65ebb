import Foundation

/// Runs the built `tapelib` executable as an operator would.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL {
        let env = ProcessInfo.processInfo.environment["TAPELIB_BIN"]
        return env.map { URL(fileURLWithPath: $0) }
            ?? packageRoot.appendingPathComponent(".build/debug/tapelib")
    }

    /// Runs the executable on a dispatch thread: waiting for a child process must not hold a
    /// thread of Swift's cooperative pool.
    static func run(_ arguments: [String]) async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(arguments) })
            }
        }
    }

    /// Runs another program (curl, openssl) the same way, found on PATH.
    static func runTool(_ name: String, _ arguments: [String]) async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try runBlocking(arguments, executable: URL(fileURLWithPath: "/usr/bin/env"), prefix: [name])
                })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], executable: URL = CLI.executable,
                                    prefix: [String] = []) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = prefix + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes fully before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    static func json(_ arguments: [String]) async throws -> [String: Any] {
        let result = try await run(arguments)
        guard result.status == 0 else {
            throw CLIFailure(description: "tapelib \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw CLIFailure(description: "not a JSON object: \(result.stdout.prefix(200))")
        }
        return object
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
}

/// A running `tapelib serve` whose log says where it listens.
struct ServeProcess {
    let process: Process
    let log: URL
    let port: Int
    /// The superuser's password (TAPELIB_ADMIN_PASSWORD) of every server started here.
    static let adminPassword = "serve-test-pw"

    static func start(_ arguments: [String], state: URL, scheme: String, profile: String = "autoloader") async throws -> ServeProcess {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["serve", "--port", "0", "--sim", profile, "--queue-poll", "0.2",
                             "--state-dir", state.appendingPathComponent("catalog").path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TAPELIB_ADMIN_PASSWORD"] = adminPassword
        process.environment = environment
        let log = state.appendingPathComponent("serve-\(scheme).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Waits for the event (the line saying where the API listens), with a generous bound.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            guard process.isRunning else { break }
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "API listening on \(scheme)://[^ ]*?:(\\d+)", options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last ?? "") {
                return ServeProcess(process: process, log: log, port: port)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        throw CLIFailure(description: "serve did not listen: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
    }

    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
