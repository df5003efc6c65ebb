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
            the devices are an in-process simulated library instead of the host's, registered in \
            the catalog on first start. SIGTERM or SIGINT stops it; tasks in flight finish first.
            """)

    @Option(name: .customLong("state-dir"),
            help: "State directory (default: /var/lib/tapelib as root, $XDG_STATE_HOME/tapelib otherwise).")
    var stateDirectory: String?

    @Option(name: .long, help: "Serve an in-process simulated library of this hwsim profile (\(LibraryProfile.builtInNames.joined(separator: ", "))).")
    var sim: String?

    @Option(name: .customLong("sim-state"), help: "Keep the simulated library's state (cartridges, tape contents) in DIR.")
    var simState: String?

    @Option(name: .long, help: "This media server's hostname in the catalog (default: the host's name).")
    var hostname: String?

    @Option(name: .customLong("queue-poll"), help: "Seconds between reads of the task queue (tasks other processes queued).")
    var queuePoll: Double = 2

    func validate() throws {
        guard queuePoll.isFinite, queuePoll >= 0.05, queuePoll <= 3_600 else {
            throw ValidationError("--queue-poll must be between 0.05 and 3600 seconds")
        }
        if simState != nil && sim == nil { throw ValidationError("--sim-state needs --sim") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "tapelib.serve")
        try await reportingFailures {
            let directory = StateDirectory.resolve(override: stateDirectory)
            let catalog = try await CatalogDatabase.open(stateDirectory: directory)
            let host = hostname ?? ProcessInfo.processInfo.hostName
            let serverID = try await mediaServer(host, in: catalog)

            var simulated: SimulatedLibrary?
            let source: any DiscoverySource
            if let sim {
                let library = try SimulatedDiscovery.library(profile: sim, stateDirectory: simState)
                simulated = library
                source = SimulatedDiscovery.source(library, profile: sim)
            } else {
                source = UdevDiscoverySource(openTransport: { path in try DeviceTransports.sg(path: path) })
            }
            let service = MediaServerService(
                catalog: catalog, source: source,
                settings: .init(queuePollInterval: .milliseconds(Int64(queuePoll * 1_000))), logger: logger)
            var attached = try await service.attachLibraries(ofMediaServer: host)
            if sim != nil, attached.isEmpty {
                // First start against the simulator: add its library as an operator would from
                // the candidates (changer and drives matched by serial).
                let candidates = try await CandidateFinder(source: source).candidates(mode: .automatic)
                for candidate in candidates.changers {
                    let registered = try await LibraryRegistration.register(
                        candidate, mediaServer: serverID, description: "simulated \(sim ?? "")", catalog: catalog)
                    if let id = registered.library.id { logger.info("registered simulated library as tape library \(id)") }
                }
                attached = try await service.attachLibraries(ofMediaServer: host)
            }
            logger.info("serving tape libraries \(attached) of media server \(host); catalog \(StateDirectory.catalogPath(in: directory))")
            try await service.run()
            try simulated?.save()
            logger.info("stopped")
        }
    }

    /// The catalog's row for this media server, added on first start.
    private func mediaServer(_ host: String, in catalog: CatalogDatabase) async throws -> Int64 {
        if let existing = try await catalog.mediaServer(hostname: host), let id = existing.id { return id }
        let machineID = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let inserted = try await catalog.insert(MediaServer(hostname: host, hwid: machineID ?? host))
        guard let id = inserted.id else { throw ValidationError("media server \(host) could not be added") }
        return id
    }
}
