import Catalog
import Discovery
import Logging
import ServiceLifecycle

/// The media server's long-running part as one ServiceGroup: the hotplug monitor, the task
/// engine serving every library the catalog has for this media server, and the scheduler of
/// periodic jobs; the HTTP API joins the group (`run(with:)`).
public struct MediaServerService: Sendable {
    public let catalog: TapeCatalog
    /// Where the devices come from (udev, a simulated library, a hwsim server).
    public let source: any DiscoverySource
    public let tracker: DeviceTracker
    public let engine: LibraryTaskEngine
    public let scheduler: JobScheduler
    /// Unloads cartridges that tasks interrupted by a crash left in drives, after the start's sync.
    public let driveRecovery: InterruptedDriveRecovery
    /// Runs the backup-core queue's copies and verifications onto tape pools.
    public let backupTasks: BackupTaskRunner
    public let logger: Logger

    public init(catalog: TapeCatalog, source: any DiscoverySource, settings: LibraryTaskEngine.Settings = .init(),
                rescanInterval: Duration = .seconds(30), logger: Logger) {
        self.catalog = catalog
        self.source = source
        self.tracker = DeviceTracker(source: source, pollInterval: rescanInterval)
        self.engine = LibraryTaskEngine(catalog: catalog, tracker: tracker, settings: settings, logger: logger)
        self.scheduler = JobScheduler(catalog: catalog, engine: engine, logger: logger)
        self.driveRecovery = InterruptedDriveRecovery(catalog: catalog, engine: engine,
                                                      priority: settings.recoverySyncPriority, logger: logger)
        self.backupTasks = BackupTaskRunner(copier: RecordCopier(catalog: catalog, engine: engine, logger: logger),
                                            pollInterval: settings.queuePollInterval, mediaServerName: settings.mediaServerName,
                                            logger: logger)
        self.logger = logger
    }

    /// Attaches the libraries of media server `hostname`; a library that cannot be attached
    /// (no changer, a device without serial) is logged and skipped. Returns the attached ids.
    @discardableResult
    public func attachLibraries(ofMediaServer hostname: String) async throws(LibraryServiceError) -> [Int64] {
        let libraries: [TapeLibrary]
        do {
            guard let server = try await catalog.mediaServer(hostname: hostname), let serverID = server.id else {
                logger.warning("media server \(hostname) is not in the catalog: no library to serve")
                return []
            }
            libraries = try await catalog.libraries(mediaServer: serverID)
        } catch {
            throw .catalog(error)
        }
        var attached: [Int64] = []
        for library in libraries {
            guard let id = library.id else { continue }
            do {
                try await engine.attach(library: id)
                attached.append(id)
            } catch {
                logger.error("tape library \(id) is not served: \(error)")
            }
        }
        return attached
    }

    /// Runs until SIGTERM or SIGINT; then tasks in flight finish and the group returns.
    /// `services` (the API) join the group after the service's own parts, so on shutdown they
    /// stop first: no new requests while robot moves in flight finish. `ending` services may end
    /// while the group runs on (waiting for authorisation). A `guards` service that fails shuts
    /// the group down gracefully (the media server's claim lost to another process).
    public func run(maximumShutdown: Duration = .seconds(15 * 60), with services: [any Service] = [],
                    ending: [any Service] = [], guards: [any Service] = []) async throws {
        // Shut down in reverse: the scheduler stops queuing, then the engine finishes its work.
        // The drive recovery ends once it has looked at each library after its first sync.
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: tracker), .init(service: engine), .init(service: backupTasks), .init(service: scheduler),
                       .init(service: driveRecovery, successTerminationBehavior: .ignore)]
                + ending.map { .init(service: $0, successTerminationBehavior: .ignore) }
                + guards.map { .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup) }
                + services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // Robot work in flight finishes; past this, the group is cancelled (the unit's
        // TimeoutStopSec is 20 minutes, a move or unload takes well under one).
        configuration.maximumGracefulShutdownDuration = maximumShutdown
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }
}
