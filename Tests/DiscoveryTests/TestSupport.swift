import Foundation

/// Runs a command to completion and returns its exit status and output. Tests use real
/// system tools (lsblk, blkid, losetup, mkfs) as the reference the code is checked against.
struct CommandOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Command {
    /// The full path of a tool on this machine, nil when it is not installed.
    static func find(_ tool: String) -> String? {
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] {
            let path = directory + "/" + tool
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> CommandOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandOutput(status: process.terminationStatus,
                             stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "discovery-tests") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = base + "/\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Canonical form, so expectations compare with what realpath reports.
        self.path = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

let isRoot = geteuid() == 0

/// Serialises tests that change this host's block devices (attaching loop devices) with the
/// tests that compare the whole device list against lsblk and /sys, across suites.
actor HostDevices {
    static let shared = HostDevices()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        while busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
