import DeviceAccess
import Discovery
import Foundation
import HWSimServer
import SCSI
import TapeHardware

/// `--device D --drive N` for a single device D (a node, a hwsim device, an iSCSI LUN).
///
/// A tape drive (INQUIRY peripheral device type 01h) is used as itself, as drive 0. A medium
/// changer (08h) is not a drive: drive N of its library is the node whose serial (udev, VPD
/// 80h) matches the serial the changer reports for bay N (READ ELEMENT STATUS with DVCID),
/// matched by Discovery's `CandidateFinder.drive(_:ofChanger:)`, the resolution `tapelib
/// library add` registers drives with. When no node matches, the command is refused with
/// the drive's serial and what to pass instead; a drive's commands are never sent to the
/// changer.
public enum DriveNodeResolution {
    public static func drive(_ number: Int?, of device: any SCSITransport, address: DeviceAddress?,
                             retryInterval: Duration) async throws -> any SCSITransport {
        let name = address?.description ?? "the device"
        let inquiry = try await CommandRunner(transport: device, retryInterval: retryInterval).inquiry()
        switch inquiry.deviceType {
        case .sequentialAccess:
            if let number, number != 0 {
                throw CLIError("\(name) is a tape drive, not a library: --drive \(number) needs the library's "
                               + "changer (or pass the drive's own device without --drive)")
            }
            return device
        case .mediumChanger:
            guard let number else {
                throw CLIError("\(name) is a medium changer, not a tape drive: pass --drive N (0…) for drive N "
                               + "of its library, or the drive's own device")
            }
            guard let address else { throw CLIError("cannot resolve drive \(number) of \(name): no device address") }
            let (source, changerPath) = try await nodes(around: address)
            do {
                let drive = try await CandidateFinder(source: source).drive(number, ofChanger: changerPath)
                return try await source.transport(for: drive.sgPath)
            } catch {
                throw CLIError(error.description)
            }
        default:
            throw CLIError("\(name) is a \(inquiry.deviceType) device, neither a tape drive nor a medium changer")
        }
    }

    /// The devices a changer's drives may be among, and the changer's path in that list:
    /// udev's sg nodes for a real node; the server's devices for hwsim:SOCKET#N; the shim's
    /// /dev/hwsim/sgN nodes (one per device of the server it reaches) for a shim path; for an
    /// iSCSI LUN only the changer itself (its drives' LUNs are not enumerated, so the
    /// refusal names their serials).
    static func nodes(around address: DeviceAddress) async throws -> (any DiscoverySource, String) {
        switch address {
        case .sg(let path):
            if let socket = ShimNodes.socket(for: path) {
                return (try await ShimNodes.source(socket: socket), path)
            }
            return (UdevDiscoverySource(openTransport: { path in DeviceOpener.sg(path: path) }), path)
        case .hwsim(let socket, _):
            let source = TransportDiscoverySource(name: "hwsim")
            for index in try await ShimNodes.servedDeviceCount(socket: socket) {
                source.add(path: "hwsim:\(socket)#\(index)",
                           address: SCSIAddress(host: 0, channel: 0, target: index, lun: 0),
                           transport: try DeviceOpener.hwsim(socket: socket, device: index))
            }
            return (source, address.description)
        case .iscsi(let host, let port, let iqn, let lun):
            let source = TransportDiscoverySource(name: "iscsi")
            source.add(path: address.description, address: SCSIAddress(host: 0, channel: 0, target: 0, lun: lun),
                       transport: DeviceOpener.iscsi(host: host, port: port, iqn: iqn, lun: lun))
            return (source, address.description)
        case .simulator:
            throw CLIError("a simulated library's drives are opened by number, not resolved")
        }
    }
}

/// The sg shim's fake nodes: with `TAPELIB_HWSIM_SOCKET` set (and the shim preloaded),
/// /dev/hwsim/sgN is device N of that hwsim server, reached through real SG_IO code.
enum ShimNodes {
    static let directory = "/dev/hwsim/"

    static func socket(for path: String) -> String? {
        guard path.hasPrefix(directory),
              let socket = ProcessInfo.processInfo.environment["TAPELIB_HWSIM_SOCKET"], !socket.isEmpty else { return nil }
        return socket
    }

    /// /dev/hwsim/sg0… for every device of the server, each over SGTransport.
    static func source(socket: String) async throws -> TransportDiscoverySource {
        let source = TransportDiscoverySource(name: "sg shim")
        for index in try await servedDeviceCount(socket: socket) {
            let path = directory + "sg\(index)"
            source.add(path: path, address: SCSIAddress(host: 0, channel: 0, target: index, lun: 0),
                       transport: DeviceOpener.sg(path: path))
        }
        return source
    }

    /// The device numbers the hwsim server at `socket` serves (0 = changer, 1… = drives).
    static func servedDeviceCount(socket: String) async throws -> Range<Int> {
        do {
            return 0..<(try await HWSimSocketTransport.servedDevices(socketPath: socket)).count
        } catch {
            throw CLIError("cannot list the devices of the hwsim server at \(socket): \(error)")
        }
    }
}
