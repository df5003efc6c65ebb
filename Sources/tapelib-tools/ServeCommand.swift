import ArgumentParser
import CLISupport
import Catalog
import Discovery
import Foundation
import HWSim
import LibraryService
import Logging

/// `tapelib serve`: the media server's service — the udev hotplug monitor and the library task
/// engine for every library the catalog has for this media server, until SIGTERM or SIGINT.
/// Tasks come from `tapelib task submit` (and, once it is built, the REST API).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the media-server service: hotplug monitor and library task engine (no REST API yet).",
        discussion: """
            Serves the libraries the catalog has for this media server (--hostname). With --sim, \
            the devices are an in-process simulated library instead of the host's; with --hwsim, \
            the library of a `tapelib-hwsim serve` process (changer device 0, drives 1…N); either \
            is registered in the catalog on first start. SIGTERM or SIGINT stops it; tasks in \
            flight finish first.
            """)

    @Option(name: .customLong("state-dir"),
            help: "State directory (default: /var/lib/tapelib as root, $XDG_STATE_HOME/tapelib otherwise).")
    var stateDirectory: String?

    @Option(name: .long, help: "Serve an in-process simulated library of this hwsim profile (\(LibraryProfile.builtInNames.joined(separator: ", "))).")
    var sim: String?

    @Option(name: .customLong("sim-state"), help: "Keep the simulated library's state (cartridges, tape contents) in DIR.")
    var simState: String?

    @Option(name: .long, help: ArgumentHelp("Serve the library of the tapelib-hwsim server listening on SOCKET.",
                                            valueName: "socket"))
    var hwsim: String?

    @Option(name: .long, help: "This media server's hostname in the catalog (default: the host's name; with --sim, sim-PROFILE; with --hwsim, hwsim-SOCKETNAME).")
    var hostname: String?

    @Option(name: .customLong("queue-poll"), help: "Seconds between reads of the task queue (tasks other processes queued).")
    var queuePoll: Double = 2

    func validate() throws {
        guard queuePoll.isFinite, queuePoll >= 0.05, queuePoll <= 3_600 else {
            throw ValidationError("--queue-poll must be between 0.05 and 3600 seconds")
        }
        if simState != nil && sim == nil { throw ValidationError("--sim-state needs --sim") }
        if sim != nil && hwsim != nil { throw ValidationError("--sim and --hwsim exclude each other") }
        if let hwsim, hwsim.isEmpty { throw ValidationError("--hwsim needs the server's socket path") }
        if let sim, !LibraryProfile.builtInNames.contains(sim), !sim.hasSuffix(".json") {
            throw ValidationError("--sim: no profile \(sim) (\(LibraryProfile.builtInNames.joined(separator: ", ")), or a .json file)")
        }
        if let hostname, hostname.isEmpty || hostname.utf8.count > 255 {
            throw ValidationError("--hostname must be 1…255 bytes")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "tapelib.serve")
        try await reportingFailures {
            let directory = StateDirectory.resolve(override: stateDirectory)
            // One service per state directory: a second one would break the first one's tasks
            // at its start-up and race it for queued ones.
            let instance = try await offPool { try ServiceInstanceLock(stateDirectory: directory) }
            defer { instance.release() }
            let catalog = try await CatalogDatabase.open(stateDirectory: directory)
            let hwsimLibrary = hwsim.map(HWSimServedLibrary.init(socket:))
            let host = hostname ?? sim.map { "sim-\($0)" } ?? hwsimLibrary?.mediaServerName ?? ServiceHost.name()
            let serverID = try await mediaServer(host, in: catalog, logger: logger)

            var simulated: SimulatedLibrary?
            let source: any DiscoverySource
            if let sim {
                let library = try await offPool { try SimulatedDiscovery.library(profile: sim, stateDirectory: simState) }
                simulated = library
                source = SimulatedDiscovery.source(library, profile: sim)
            } else if let hwsimLibrary {
                source = try await hwsimLibrary.discoverySource()
            } else {
                source = UdevDiscoverySource(openTransport: { path in try DeviceTransports.sg(path: path) })
            }
            let service = MediaServerService(
                catalog: catalog, source: source,
                settings: .init(queuePollInterval: .milliseconds(Int64(queuePoll * 1_000)),
                                registerFoundCartridges: sim != nil || hwsim != nil), logger: logger)
            // A simulated library is registered on first start, as an operator would add it from
            // the candidates (changer and drives matched by serial).
            let attached = if let sim {
                try await service.attachOrRegisterLibraries(ofMediaServer: host, id: serverID, source: source,
                                                            kind: "simulated", description: "simulated \(sim)")
            } else if let hwsim {
                try await service.attachOrRegisterLibraries(ofMediaServer: host, id: serverID, source: source,
                                                            kind: "hwsim", description: "hwsim server \(hwsim)")
            } else {
                try await service.attachLibraries(ofMediaServer: host)
            }
            logger.info("serving tape libraries \(attached) of media server \(host); catalog \(StateDirectory.catalogPath(in: directory))")
            try await service.run()
            if let simulated { try await offPool { try simulated.save() } }
            logger.info("stopped")
        }
    }

    private func mediaServer(_ host: String, in catalog: CatalogDatabase, logger: Logger) async throws -> Int64 {
        try await ServiceHost.mediaServer(host, simulated: sim != nil || hwsim != nil, in: catalog) { message in logger.warning("\(message)") }
    }
}

/// This host's identity for the catalog, from the kernel rather than DNS.
enum ServiceHost {
    /// The catalog's row for media server `host`, added when missing. A real host is known by its
    /// machine id too, so a changed host name finds its row instead of clashing with it.
    static func mediaServer(_ host: String, simulated: Bool, in catalog: CatalogDatabase,
                            warn: (String) -> Void) async throws -> Int64 {
        if let existing = try await catalog.mediaServer(hostname: host), let id = existing.id { return id }
        let hwid = simulated ? host : (try await offPool { machineID() }) ?? host
        if !simulated, let existing = try await catalog.mediaServer(hwid: hwid), let id = existing.id {
            warn("this machine (id \(hwid)) is registered as media server \(existing.hostname), not \(host); using it")
            return id
        }
        let inserted = try await catalog.insert(MediaServer(hostname: host, hwid: hwid))
        guard let id = inserted.id else { throw CommandFailure("media server \(host) could not be added") }
        return id
    }

    static func name() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func machineID() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }
}

/// An exclusive, non-blocking lock on `<state>/serve.lock` held while the service runs.
struct ServiceInstanceLock {
    private let fd: Int32

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let path = stateDirectory + "/serve.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        guard fd >= 0 else { throw CommandFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw CommandFailure("another tapelib serve is running on \(stateDirectory)")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// Runs blocking work (file I/O, loading a simulated library's tape images) on a dispatch
/// thread, not on Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
