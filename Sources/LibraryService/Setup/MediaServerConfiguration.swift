import Catalog
import DeviceAccess
import Discovery
import Foundation
import HWSim
import Logging
import SCSI
import ServiceLifecycle
import Synchronization

extension MediaServerService {
    /// Everything `tapelib serve` needs to know, as flags and the environment give it; the
    /// executable builds this value and nothing else (`open(_:logger:)` assembles the service).
    public struct Configuration: Sendable, Equatable {
        /// Where the devices come from.
        public enum Devices: Sendable, Equatable {
            /// This host's changers and drives (udev, SG_IO through /dev/sg*).
            case host
            /// An in-process simulated library of a hwsim profile, its state kept in a directory when given.
            case simulated(profile: String, stateDirectory: String?)
            /// The library of a `tapelib-hwsim serve` process (changer device 0, drives 1…N).
            case hwsim(socket: String)
        }

        /// The state directory (lock, keys, and the catalog unless `catalog` names one); nil →
        /// `StateDirectory.resolve`'s default.
        public var stateDirectory: String?
        /// The catalog: nil → the state directory's SQLite file; a PostgreSQL catalog is shared
        /// with the installation's other media servers.
        public var catalog: CatalogLocation?
        public var devices: Devices
        /// This media server's host name in the catalog; nil → the host's name, `sim-PROFILE`
        /// or `hwsim-SOCKETNAME`.
        public var hostname: String?
        public var queuePollInterval: Duration
        public var rescanInterval: Duration
        /// How long tasks in flight may take to finish after SIGTERM before they are cancelled.
        public var maximumShutdown: Duration
        /// Whether a sync registers the cartridges it finds in a simulated library (true, the
        /// default for --sim/--hwsim) or leaves them unregistered as a real library's (the sync
        /// then ends with the unregistered cartridges listed). A real library's never are.
        public var registerSimulatedCartridges: Bool
        /// A simulated library's pace: 0 = instant (the default), 1 = real time (robot moves of
        /// seconds, long erases of hours), in between or above scales the real durations.
        public var simulatedSpeed: Double = 0

        public init(stateDirectory: String? = nil, devices: Devices = .host, hostname: String? = nil,
                    queuePollInterval: Duration = .seconds(2), rescanInterval: Duration = .seconds(30),
                    maximumShutdown: Duration = .seconds(15 * 60), registerSimulatedCartridges: Bool = true) {
            self.stateDirectory = stateDirectory; self.devices = devices; self.hostname = hostname
            self.queuePollInterval = queuePollInterval; self.rescanInterval = rescanInterval
            self.maximumShutdown = maximumShutdown; self.registerSimulatedCartridges = registerSimulatedCartridges
        }

        public var resolvedStateDirectory: String { StateDirectory.resolve(override: stateDirectory) }

        public var resolvedCatalog: CatalogLocation { catalog ?? .sqlite(stateDirectory: resolvedStateDirectory) }

        /// Whether the devices are simulated (their cartridges are registered as found).
        public var isSimulated: Bool { devices != .host }
    }

    /// Assembles the service of `configuration`: takes the state directory's instance lock,
    /// opens the catalog, finds or adds this media server, opens the devices (the one device
    /// opener for real nodes), registers a simulated library on its first start, and attaches
    /// the media server's libraries.
    public static func open(_ configuration: Configuration, logger: Logger) async throws(ServiceError) -> OpenedMediaServer {
        do {
            return try await assemble(configuration, logger: logger)
        } catch {
            throw ServiceError(error)
        }
    }

    private static func assemble(_ configuration: Configuration, logger: Logger) async throws -> OpenedMediaServer {
        let directory = configuration.resolvedStateDirectory
        // One service per state directory: a second one would break the first one's tasks at
        // its start-up and race it for queued ones.
        let lock = try await offPool { try ServiceInstanceLock(stateDirectory: directory) }
        var opened: TapeCatalog?
        do {
            let catalog = try await TapeCatalog.open(configuration.resolvedCatalog)
            opened = catalog
            var simulated: SimulatedLibrary?
            let source: any DiscoverySource
            let defaultHost: String
            switch configuration.devices {
            case .host:
                source = UdevDiscoverySource(openTransport: { path in DeviceOpener.sg(path: path) })
                defaultHost = ServiceHost.name()
            case .simulated(let profile, let state):
                let speed = configuration.simulatedSpeed
                let library = try await offPool {
                    try SimulatedDiscovery.library(profile: profile, stateDirectory: state, speed: speed)
                }
                simulated = library
                source = SimulatedDiscovery.source(library, profile: profile)
                defaultHost = "sim-\(profile)"
            case .hwsim(let socket):
                let served = HWSimServedLibrary(socket: socket)
                source = try await served.discoverySource()
                defaultHost = served.mediaServerName
            }
            // Every command the service sends is reported to the relay (the API's metrics).
            let relay = SCSICommandRelay()
            let observedSource = ObservedDiscoverySource(inner: source, observer: relay)
            let host = configuration.hostname ?? defaultHost
            let admission = try await ServiceHost.admit(host, simulated: configuration.isSimulated, in: catalog) {
                logger.warning("\($0)")
            }
            var settings = LibraryTaskEngine.Settings(
                queuePollInterval: configuration.queuePollInterval,
                registerFoundCartridges: configuration.isSimulated && configuration.registerSimulatedCartridges)
            settings.mediaServerName = host
            let service = MediaServerService(catalog: catalog, source: observedSource, settings: settings,
                                             rescanInterval: configuration.rescanInterval, logger: logger)
            // A simulated library is registered on first start, as an operator would add it from
            // the candidates (changer and drives matched by serial).
            let devices = configuration.devices
            let lockWatch = MediaServerLockWatch(stopClaiming: { [engine = service.engine] in engine.requestShutdown() })
            let attach: @Sendable (Int64) async throws -> [Int64] = { serverID in
                // On a shared catalog one process serves a media server: a second `serve` under
                // the same host name (another state directory) must not drive its hardware too.
                guard try await catalog.holdMediaServerLock(serverID, lost: { lockWatch.lost($0) }) else {
                    throw ServiceError(.conflict, "media server \(host) is already served by another tapelib serve on catalog "
                                       + "\(catalog.displayName): give this one another --hostname, or stop that one")
                }
                return switch devices {
                case .host:
                    try await service.attachLibraries(ofMediaServer: host)
                case .simulated(let profile, _):
                    try await service.attachOrRegisterLibraries(
                        ofMediaServer: host, id: serverID, source: observedSource, kind: "simulated", description: "simulated \(profile)")
                case .hwsim(let socket):
                    try await service.attachOrRegisterLibraries(
                        ofMediaServer: host, id: serverID, source: observedSource, kind: "hwsim", description: "hwsim server \(socket)")
                }
            }
            let attached: [Int64]
            let membership: MediaServerMembership
            var waiting: AuthorisationWait?
            switch admission {
            case .admitted(let serverID, _):
                attached = try await attach(serverID)
                membership = MediaServerMembership(mediaServerID: serverID)
                logger.info("serving tape libraries \(attached) of media server \(host); catalog \(catalog.displayName)")
            case .waiting(let request):
                attached = []
                membership = MediaServerMembership(mediaServerID: nil)
                waiting = AuthorisationWait(catalog: catalog, hostname: host, membership: membership,
                                            pollInterval: configuration.queuePollInterval, attach: attach, logger: logger)
                logger.warning("""
                    media server \(host) is not authorised in this catalog (it has other media servers): it waits, \
                    serving no library, until an administrator authorises it (POST /api/v1/media_servers/authorize \
                    {"data": {"hostname": "\(host)"}}; unauthorised media server \(request.id ?? 0))
                    """)
            }
            return OpenedMediaServer(service: service, configuration: configuration, hostname: host,
                                     membership: membership, attachedLibraries: attached, stateDirectory: directory,
                                     simulated: simulated, commandRelay: relay, authorisationWait: waiting, lockWatch: lockWatch,
                                     lock: lock)
        } catch {
            await opened?.close()
            lock.release()
            throw error
        }
    }
}

/// A media server's service assembled from its configuration, holding the state directory's
/// instance lock until `run` returns.
public struct OpenedMediaServer: Sendable {
    public let service: MediaServerService
    public let configuration: MediaServerService.Configuration
    public let hostname: String
    /// This media server's catalog row; its id is nil while it waits for authorisation.
    public let membership: MediaServerMembership
    public let attachedLibraries: [Int64]
    public let stateDirectory: String
    /// The in-process simulated library, when the devices are simulated.
    public let simulated: SimulatedLibrary?
    /// Where the service's SCSI commands are reported: attach an observer to count them.
    public let commandRelay: SCSICommandRelay
    /// Set when the media server waits for authorisation: runs in the group until it is authorised.
    let authorisationWait: AuthorisationWait?
    let lockWatch: MediaServerLockWatch
    let lock: ServiceInstanceLock

    /// This media server's id in the catalog; nil while it waits for authorisation.
    public var mediaServerID: Int64? { membership.mediaServerID }

    /// Releases the state directory's lock without running (a caller that only assembled it).
    public func release() { lock.release() }

    /// Closes the catalog (a PostgreSQL store's connections and listeners) and releases the lock.
    public func close() async {
        await service.catalog.close()
        lock.release()
    }

    /// Runs the service group, with `services` (the API) joining it, until SIGTERM or SIGINT;
    /// then saves a simulated library's state and releases the lock.
    public func run(with services: [any Service] = []) async throws {
        let waiting: [any Service] = authorisationWait.map { [$0] } ?? []
        do {
            try await service.run(maximumShutdown: configuration.maximumShutdown, with: services, ending: waiting,
                                  guards: [lockWatch])
            if let simulated { try await offPool { try simulated.save() } }
        } catch {
            await close()
            throw error
        }
        await close()
    }
}

/// Registers a simulated library's devices with a discovery source, as udev would announce a
/// real library's: the changer as device 0, the drives as 1… in element order.
public enum SimulatedDiscovery {
    /// A fresh simulated library of profile `name`, as a discovery source.
    public static func source(profile name: String) throws -> TransportDiscoverySource {
        source(try library(profile: name, stateDirectory: nil), profile: name)
    }

    /// A simulated library of profile `name` (a built-in name or a .json file), kept in
    /// `stateDirectory` when given.
    public static func library(profile name: String, stateDirectory: String?, speed: Double = 0) throws -> SimulatedLibrary {
        let profile = name.hasSuffix(".json") ? try LibraryProfile.load(from: URL(fileURLWithPath: name))
                                              : try LibraryProfile.named(name)
        guard let stateDirectory else { return try SimulatedLibrary(profile: profile, speed: speed) }
        return try SimulatedLibrary(profile: profile, stateDirectory: URL(fileURLWithPath: stateDirectory, isDirectory: true),
                                    speed: speed)
    }

    public static func source(_ library: SimulatedLibrary, profile name: String) -> TransportDiscoverySource {
        let source = TransportDiscoverySource(name: "hwsim")
        source.add(path: "sim:\(name)#0", address: SCSIAddress(host: 0, channel: 0, target: 0, lun: 0),
                   transport: library.changerTransport)
        for drive in 0..<library.driveCount {
            source.add(path: "sim:\(name)#\(drive + 1)",
                       address: SCSIAddress(host: 0, channel: 0, target: drive + 1, lun: 0),
                       transport: library.driveTransport(drive))
        }
        return source
    }
}

/// This host's identity for the catalog, from the kernel rather than DNS.
public enum ServiceHost {
    /// Admits this host into the catalog as `tapelib serve` starts: its row (found by name, or by
    /// machine id for a real host whose name changed), the catalog's first media server, or a
    /// request for authorisation when the catalog has others.
    public static func admit(_ host: String, simulated: Bool, in catalog: TapeCatalog,
                             warn: (String) -> Void) async throws(ServiceError) -> MediaServerAdmission {
        do {
            let hwid = simulated ? host : (try? await offPool { machineID() }) ?? host
            if !simulated, try await catalog.mediaServer(hostname: host) == nil,
               let existing = try await catalog.mediaServer(hwid: hwid), let id = existing.id {
                warn("this machine (id \(hwid)) is registered as media server \(existing.hostname), not \(host); using it")
                return .admitted(id: id, first: false)
            }
            return try await catalog.admitMediaServer(hostname: host, hwid: hwid)
        } catch {
            throw ServiceError(error)
        }
    }

    /// The catalog's row for media server `host`, added when missing (`tapelib library add`: an
    /// operator on this host adds it). A real host is known by its machine id too, so a changed
    /// host name finds its row instead of clashing with it.
    public static func mediaServer(_ host: String, simulated: Bool, in catalog: TapeCatalog,
                                   warn: (String) -> Void) async throws(ServiceError) -> Int64 {
        do {
            if let existing = try await catalog.mediaServer(hostname: host), let id = existing.id { return id }
            let hwid = simulated ? host : (try? await offPool { machineID() }) ?? host
            if !simulated, let existing = try await catalog.mediaServer(hwid: hwid), let id = existing.id {
                warn("this machine (id \(hwid)) is registered as media server \(existing.hostname), not \(host); using it")
                return id
            }
            let inserted = try await catalog.insert(MediaServer(hostname: host, hwid: hwid))
            guard let id = inserted.id else { throw ServiceError(.internal, "media server \(host) could not be added") }
            return id
        } catch {
            throw ServiceError(error)
        }
    }

    public static func name() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// /etc/machine-id (read once per start, off the cooperative pool).
    static func machineID() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }
}

/// An exclusive, non-blocking lock on `<state>/serve.lock` held while the service runs.
/// Released once: a second `release()` does nothing (the descriptor may have been reused).
final class ServiceInstanceLock: Sendable {
    private let fd: Int32
    private let held = Atomic<Bool>(true)

    init(stateDirectory: String) throws(ServiceError) {
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw ServiceError(.catalogStorage, "cannot create the state directory \(stateDirectory): \(error.localizedDescription)")
        }
        let path = stateDirectory + "/serve.lock"
        fd = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        guard fd >= 0 else { throw ServiceError(.catalogStorage, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ServiceError(.conflict, "another tapelib serve is running on \(stateDirectory)")
        }
    }

    func release() {
        guard held.exchange(false, ordering: .acquiringAndReleasing) else { return }
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// Runs blocking work (file I/O, loading a simulated library's tape images) on a dispatch
/// thread, not on Swift's cooperative pool.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
