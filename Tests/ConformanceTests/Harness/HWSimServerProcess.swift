import Foundation
import HWSimServer
import SCSI

/// Paths of the things the conformance tests run: the package root, the built
/// `tapelib-hwsim` executable and the sg shim (built on demand with hwsim/shim/Makefile).
enum ConformancePaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Where swift build put the executables: next to the test bundle.
    static var buildDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["TAPELIB_BUILD_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let argv0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        var directory = argv0.deletingLastPathComponent()
        // On Linux the runner is …/debug/tapelibPackageTests.xctest; elsewhere it may be nested.
        for _ in 0..<4 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("tapelib-hwsim").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    static var hwsimExecutable: String { buildDirectory.appendingPathComponent("tapelib-hwsim").path }

    /// Builds (if needed) and returns the shim: `make -C hwsim/shim print`, as `make shim` does.
    /// Built once per test process, so suites running in parallel never load a half-written
    /// library.
    static func shim() async throws -> String { try await shimBuild.value }

    private static let shimBuild = Task { try await buildShim() }

    private static func buildShim() async throws -> String {
        if let override = ProcessInfo.processInfo.environment["TAPELIB_SGSHIM"] { return override }
        let output = try await ToolRunner.run("make", [
            "-s", "--no-print-directory", "-C", packageRoot.appendingPathComponent("hwsim/shim").path,
            "OUT=" + packageRoot.appendingPathComponent(".build/shim").path, "print",
        ])
        guard output.exitCode == 0, let path = output.stdout.split(separator: "\n").last.map(String.init),
              FileManager.default.fileExists(atPath: path) else {
            throw HarnessError("building the sg shim failed: \(output.combined)")
        }
        return path
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A `tapelib-hwsim serve` process with its own socket and state directory.
final class HWSimServerProcess: @unchecked Sendable {
    let profile: String
    let stateDirectory: URL
    let socketPath: String
    private var process: Process?

    init(profile: String, stateDirectory: URL? = nil) throws {
        self.profile = profile
        let base = stateDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("tapelib-conformance-\(UUID().uuidString.prefix(8))")
        self.stateDirectory = base
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        // Unix socket paths are limited to 107 bytes: keep it short.
        self.socketPath = "/tmp/hwsim-\(UUID().uuidString.prefix(12)).sock"
    }

    /// Starts the server and waits until it answers `ping`.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ConformancePaths.hwsimExecutable)
        process.arguments = ["serve", "--profile", profile, "--socket", socketPath,
                             "--state", stateDirectory.appendingPathComponent("state").path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let log = stateDirectory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw HarnessError("tapelib-hwsim exited with \(process.terminationStatus): \(text)")
            }
            if FileManager.default.fileExists(atPath: socketPath),
               let reply = try? await control(ControlRequest(op: "ping")), reply.ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("tapelib-hwsim did not answer on \(socketPath) within 30 s")
    }

    /// Stops the server (SIGTERM, so it saves its state) and waits for it.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }

    func control(_ request: ControlRequest) async throws -> ControlReply {
        let client = HWSimSocketTransport(socketPath: socketPath, device: 0)
        defer { Task { await client.close() } }
        return try await client.control(request)
    }

    func transport(device: UInt16) -> HWSimSocketTransport {
        HWSimSocketTransport(socketPath: socketPath, device: device)
    }

    /// The environment that makes /dev/hwsim/sgN reach this server through the shim.
    func shimEnvironment() async throws -> [String: String] {
        ["LD_PRELOAD": try await ConformancePaths.shim(), "TAPELIB_HWSIM_SOCKET": socketPath]
    }

    /// Runs a tool under the shim.
    func runTool(_ tool: String, _ arguments: [String]) async throws -> ToolOutput {
        try await ToolRunner.run(tool, arguments, environment: try await shimEnvironment())
    }
}
