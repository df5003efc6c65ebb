import HWSimServer
import ISCSITransport
import SCSI
import SGTransport

/// Transports for real devices, hwsim servers and iSCSI targets. Each opens on its own device
/// thread before its first command, so open/login errors surface from that command.
public enum DeviceTransports {
    public static func sg(path: String) throws -> any SCSITransport {
        SGTransport(path: path)
    }

    public static func hwsim(socket: String, device: Int) throws -> any SCSITransport {
        guard let index = UInt16(exactly: device) else {
            throw CLIError("hwsim device number \(device) is out of range")
        }
        return HWSimSocketTransport(socketPath: socket, device: index)
    }

    public static func iscsi(host: String, port: Int, iqn: String, lun: Int) -> any SCSITransport {
        ISCSITransport(url: "iscsi://\(host):\(port)/\(iqn)/\(lun)")
    }
}
