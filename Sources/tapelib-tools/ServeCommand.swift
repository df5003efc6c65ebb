import DeviceAccess
import ArgumentParser
import CLISupport
import Catalog
import Discovery
import Foundation
import API
import HWSim
import LibraryService
import Logging
import ServiceLifecycle

/// `tapelib serve`: the media server's service — the udev hotplug monitor and the library task
/// engine for every library the catalog has for this media server, until SIGTERM or SIGINT.
/// Tasks come from the REST API and `tapelib task submit`. The flags only build the service's
/// configuration; `MediaServerService.open` assembles it and `APIServer` joins its group.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the media-server service: REST API, hotplug monitor, library task engine and scheduler.",
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

    @Option(name: .customLong("catalog"),
            help: ArgumentHelp("The catalog: postgres://USER@HOST:PORT/DB[?sslmode=…] shared by several media servers, "
                               + "or sqlite:DIR (default: $TAPELIB_CATALOG_URL, else the state directory's SQLite file). "
                               + "The password comes from PGPASSWORD or a 0600 password file, never the URL. "
                               + "The state directory keeps this media server's lock and keys either way.",
                               valueName: "url"))
    var catalog: String?

    @Option(name: .customLong("catalog-pool"), help: "PostgreSQL connections of this process (1…500, default 10).")
    var catalogPool: Int?

    @Option(name: .long, help: "Serve an in-process simulated library of this hwsim profile (\(LibraryProfile.builtInNames.joined(separator: ", "))).")
    var sim: String?

    @Option(name: .customLong("sim-state"), help: "Keep the simulated library's state (cartridges, tape contents) in DIR.")
    var simState: String?

    @Option(name: .customLong("sim-speed"),
            help: "Pace of the simulated library: 0 instant (default), 1 real time (robot moves of seconds, long erases of hours).")
    var simSpeed: Double = 0

    @Option(name: .long, help: ArgumentHelp("Serve the library of the tapelib-hwsim server listening on SOCKET.",
                                            valueName: "socket"))
    var hwsim: String?

    @Option(name: .long, help: "This media server's hostname in the catalog (default: the host's name; with --sim, sim-PROFILE; with --hwsim, hwsim-SOCKETNAME).")
    var hostname: String?

    @Option(name: .customLong("queue-poll"), help: "Seconds between reads of the task queue (tasks other processes queued).")
    var queuePoll: Double = 2

    func validate() throws {
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard (1_024...(1 << 30)).contains(bodyLimit) else { throw ValidationError("--body-limit must be 1 KiB…1 GiB") }
        guard queuePoll.isFinite, queuePoll >= 0.05, queuePoll <= 3_600 else {
            throw ValidationError("--queue-poll must be between 0.05 and 3600 seconds")
        }
        if simState != nil && sim == nil { throw ValidationError("--sim-state needs --sim") }
        if simSpeed != 0 && sim == nil { throw ValidationError("--sim-speed needs --sim") }
        guard simSpeed.isFinite, (0...1_000).contains(simSpeed) else { throw ValidationError("--sim-speed must be 0…1000") }
        if simUnregistered && sim == nil && hwsim == nil { throw ValidationError("--sim-unregistered needs --sim or --hwsim") }
        if sim != nil && hwsim != nil { throw ValidationError("--sim and --hwsim exclude each other") }
        if let hwsim, hwsim.isEmpty { throw ValidationError("--hwsim needs the server's socket path") }
        if let sim, !LibraryProfile.builtInNames.contains(sim), !sim.hasSuffix(".json") {
            throw ValidationError("--sim: no profile \(sim) (\(LibraryProfile.builtInNames.joined(separator: ", ")), or a .json file)")
        }
        if let hostname, hostname.isEmpty || hostname.utf8.count > 255 {
            throw ValidationError("--hostname must be 1…255 bytes")
        }
    }

    @Option(name: .long, help: "Address the REST API listens on (default: APP_HOST, else 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port of the REST API (default: APP_PORT, else 5656; 0 picks a free port).")
    var port: Int?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("body-limit"), help: "Largest request body in bytes (default 1 MiB).")
    var bodyLimit: Int = 1 << 20

    @Flag(name: .customLong("sim-unregistered"),
          help: "Leave the cartridges a sync finds in the simulated library unregistered, as a real library's (--sim/--hwsim).")
    var simUnregistered = false

    @Flag(name: .customLong("no-api"), help: "Run without the REST API (task engine and scheduler only).")
    var noAPI = false

    @Flag(name: .customLong("no-response-cache"),
          help: "Answer every GET from the catalog (by default catalog-only GETs are kept until the catalog changes).")
    var noResponseCache = false

    /// The service's configuration: the flags, over the environment's APP_HOST/APP_PORT/DEBUG.
    func configurations() throws -> (MediaServerService.Configuration, APIConfiguration) {
        let devices: MediaServerService.Configuration.Devices =
            if let sim { .simulated(profile: sim, stateDirectory: simState) }
            else if let hwsim { .hwsim(socket: hwsim) }
            else { .host }
        var service = MediaServerService.Configuration(
            stateDirectory: stateDirectory, devices: devices, hostname: hostname,
            queuePollInterval: .milliseconds(Int64(queuePoll * 1_000)), registerSimulatedCartridges: !simUnregistered)
        service.simulatedSpeed = simSpeed
        // The state directory is this process's (lock, keys); the catalog is named apart from it.
        service.catalog = try CatalogLocation.resolve(flag: catalog, stateDirectory: service.resolvedStateDirectory,
                                                      poolSize: catalogPool)
        var api = try APIConfiguration.fromEnvironment()
        if let host { api.host = host }
        if let port { api.port = port }
        api.tlsCertificate = tlsCertificate
        api.tlsKey = tlsKey
        api.bodyLimit = bodyLimit
        api.responseCache = !noResponseCache
        return (service, api)
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "tapelib.serve")
        try await reportingFailures {
            let (configuration, apiConfiguration) = try configurations()
            let server = try await MediaServerService.open(configuration, logger: logger)
            let api: [any Service]
            do {
                api = noAPI ? [] : [try await APIServer.service(for: server, configuration: apiConfiguration, logger: logger)]
            } catch {
                await server.close()
                throw error
            }
            try await server.run(with: api)
            logger.info("stopped")
        }
    }
}
