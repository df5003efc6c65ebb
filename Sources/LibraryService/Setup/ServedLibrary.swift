import Catalog
import Discovery
import HWSimServer
import SCSI

/// A library whose devices the service reaches without udev: a `tapelib-hwsim serve` process's
/// library (`tapelib serve --hwsim SOCKET`). Its changer is device 0 and its drives 1…N of the
/// server, registered with a discovery source as `hwsim:SOCKET#N`, so that the service finds
/// them, matches drives to bays and tracks them by serial exactly as it does udev's devices.
public struct HWSimServedLibrary: Sendable {
    public let socket: String

    public init(socket: String) { self.socket = socket }

    /// The media server the library is registered under: `hwsim-<socket file name>`, as the
    /// in-process simulator's is `sim-<profile>`.
    public var mediaServerName: String {
        let name = socket.split(separator: "/").last.map(String.init) ?? socket
        return "hwsim-" + (name.hasSuffix(".sock") ? String(name.dropLast(5)) : name)
    }

    /// Asks the server which devices it serves and registers each with a new discovery source.
    /// The server must be running: a service that cannot see its library fails at start.
    public func discoverySource() async throws(LibraryServiceError) -> TransportDiscoverySource {
        let devices: [ServedDeviceInfo]
        do {
            devices = try await HWSimSocketTransport.servedDevices(socketPath: socket)
        } catch {
            throw .discovery(DiscoveryError(.deviceQueryFailed,
                                            "cannot list the devices of the hwsim server at \(socket): \(error)"))
        }
        guard devices.first?.peripheralType == 0x08 else {
            throw .discovery(DiscoveryError(.notAChanger, "device 0 of the hwsim server at \(socket) is not a medium changer"))
        }
        let source = TransportDiscoverySource(name: "hwsim")
        for index in devices.indices {
            guard let device = UInt16(exactly: index) else { break }
            source.add(path: "hwsim:\(socket)#\(index)",
                       address: SCSIAddress(host: 0, channel: 0, target: index, lun: 0),
                       transport: HWSimSocketTransport(socketPath: socket, device: device))
        }
        return source
    }
}

extension MediaServerService {
    /// Attaches the libraries of media server `hostname`; when it has none yet (the first start
    /// against a simulated library), registers every changer candidate `source` offers, with
    /// the drives matched to its bays by serial, as an operator would with `library add`, and
    /// attaches those (`kind` names it in the log: "simulated", "hwsim"). Returns the attached library ids.
    public func attachOrRegisterLibraries(ofMediaServer hostname: String, id serverID: Int64,
                                          source: any DiscoverySource, kind: String, description: String)
        async throws(LibraryServiceError) -> [Int64] {
        let attached = try await attachLibraries(ofMediaServer: hostname)
        guard attached.isEmpty else { return attached }
        let candidates: Candidates
        do {
            candidates = try await CandidateFinder(source: source).candidates(mode: .automatic)
        } catch {
            throw .discovery(error)
        }
        for candidate in candidates.changers {
            let registered = try await LibraryRegistration.register(
                candidate, mediaServer: serverID, description: description, catalog: catalog)
            if let id = registered.library.id { logger.info("registered \(kind) library as tape library \(id)") }
        }
        return try await attachLibraries(ofMediaServer: hostname)
    }
}
