import ArgumentParser
import Foundation

/// Git-style dispatch to `tapelib-tools`, the executable next to `tapelib` that implements
/// `ltfs`, `discover` and `catalog`.
///
/// Why two executables: process start-up is most of a device command's time (issue 4:
/// `tapelib changer status` against mtx). The Swift runtime scans every protocol conformance
/// record of the binary on the first lookup of each type, and ArgumentParser performs a few
/// hundred lookups; the libraries only those three commands need (LTFS with FoundationXML and
/// libxml2, Catalog with GRDB and SQLite, Discovery with libudev and service-lifecycle) more
/// than double the records, relocations and shared libraries to load. The device commands
/// therefore live in a binary without them, and hand the others over with `execv` before any
/// parsing, so the companion sees the same arguments and exit status, stdin and stdout.
enum CompanionTools {
    static let executableName = "tapelib-tools"
    static let subcommands: Set<String> = ["ltfs", "discover", "catalog", "library", "serve", "task", "user", "repository"]

    /// The arguments (without argv[0]) to hand over, or nil when `tapelib` runs the command:
    /// `tapelib ltfs …`, and `tapelib help ltfs …`.
    static func delegatedArguments(_ arguments: [String]) -> [String]? {
        let rest = Array(arguments.dropFirst())
        guard let first = rest.first else { return nil }
        if subcommands.contains(first) { return rest }
        if first == "help", rest.count > 1, subcommands.contains(rest[1]) { return rest }
        return nil
    }

    /// Replaces this process with `tapelib-tools` when the command is one of its own; returns
    /// only when the command runs here. Exits 127 when the companion cannot be started.
    static func runIfDelegated(_ arguments: [String]) {
        guard let forwarded = delegatedArguments(arguments) else { return }
        let path = companionPath()
        let argv = [path] + forwarded
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArguments.append(nil)
        execv(path, cArguments)
        let reason = String(cString: strerror(errno))
        FileHandle.standardError.write(Data(
            "error: cannot run \(path) for `tapelib \(forwarded[0])`: \(reason); install \(executableName) next to tapelib\n".utf8))
        exit(127)
    }

    /// `tapelib-tools` in the directory of this executable (resolved through symlinks).
    static func companionPath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return executableName }
        let executable = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = executable.lastIndex(of: "/") else { return executableName }
        return String(executable[...slash]) + executableName
    }

    // Entries in `tapelib --help`; never run here (runIfDelegated hands them over first).
    struct LTFS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ltfs", abstract: "Format and check LTFS volumes (the check never writes).")
    }

    struct Discover: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discover", abstract: "List the tape changers, tape drives and block devices this host sees.")
    }

    struct Catalog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalog", abstract: "Manage the catalog database.")
    }

    struct Library: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "library", abstract: "List the catalog's tape libraries, or add one from this host's devices.")
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Run the media-server service: REST API, hotplug monitor, task engine and scheduler.")
    }

    struct Users: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Manage the REST API's users offline (add, passwd, list).")
    }

    struct Tasks: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "task", abstract: "Queue library tasks for the service and follow them.")
    }

    struct Repository: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "repository", abstract: "Backup records: add files as records, copy them onto tape pools, verify and restore the copies.")
    }
}
