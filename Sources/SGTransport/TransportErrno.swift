import Foundation
import SCSI

extension TransportError {
    /// Maps an errno from opening or driving an sg node to a typed error whose message says
    /// what happened and what to do about it.
    public static func fromErrno(_ code: Int32, path: String, operation: String) -> TransportError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT, ENODEV, ENXIO:
            return TransportError(
                .deviceGone,
                "\(path): device is gone (\(operation): \(reason)); it was removed, powered off or renumbered — rediscover devices",
                errno: code)
        case EBUSY:
            return TransportError(
                .busy,
                "\(path): device is busy (\(operation): \(reason)); another process holds it open exclusively",
                errno: code)
        case EACCES, EPERM:
            return TransportError(
                .permissionDenied,
                "\(path): permission denied (\(operation): \(reason)); add this user to the group `tape` "
                    + "(sg nodes of type 1 and 8 get GROUP=\"tape\", MODE=\"0660\" from udev's "
                    + "50-udev-default.rules: SUBSYSTEM==\"scsi_generic\", SUBSYSTEMS==\"scsi\", "
                    + "ATTRS{type}==\"1|8\", GROUP=\"tape\"; tapelib's udev/61-tapelib.rules, installed in "
                    + "/etc/udev/rules.d, does the same) and log in again",
                errno: code)
        case ETIMEDOUT:
            return TransportError(.timedOut, "\(path): \(operation) timed out (\(reason))", errno: code)
        case ENOTTY:
            return TransportError(
                .invalidDevice, "\(path): not a SCSI generic device (\(operation): \(reason))", errno: code)
        default:
            return TransportError(.io, "\(path): \(operation) failed: \(reason)", errno: code)
        }
    }
}
