import HWSimServer
import ISCSITransport
import SCSI
import SGTransport
import TapeHardware

/// The one place a device address becomes a transport, for the command-line tools and the
/// service alike: real SG_IO nodes, hwsim servers' devices and iSCSI logical units. Each
/// transport opens on its own device thread before its first command, so open and login
/// errors surface from that command. A `sim:PROFILE` address names a whole simulated library,
/// not one device; its owner opens it (OpenedDevice, the service's configuration).
public enum DeviceOpener {
    public struct RefusedAddress: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func open(_ address: DeviceAddress) throws(RefusedAddress) -> any SCSITransport {
        switch address {
        case .sg(let path): return sg(path: path)
        case .hwsim(let socket, let device): return try hwsim(socket: socket, device: device)
        case .iscsi(let host, let port, let iqn, let lun): return iscsi(host: host, port: port, iqn: iqn, lun: lun)
        case .simulator(let profile):
            throw RefusedAddress(description: "sim:\(profile) is a whole simulated library, not one device")
        }
    }

    /// A SCSI generic node (/dev/sgN, or a udev link to one).
    public static func sg(path: String) -> any SCSITransport {
        SGTransport(path: path)
    }

    public static func hwsim(socket: String, device: Int) throws(RefusedAddress) -> any SCSITransport {
        guard let index = UInt16(exactly: device) else {
            throw RefusedAddress(description: "hwsim device number \(device) is out of range")
        }
        return HWSimSocketTransport(socketPath: socket, device: index)
    }

    public static func iscsi(host: String, port: Int, iqn: String, lun: Int) -> any SCSITransport {
        ISCSITransport(url: "iscsi://\(host):\(port)/\(iqn)/\(lun)")
    }
}
