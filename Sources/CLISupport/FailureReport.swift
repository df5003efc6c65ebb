import Foundation
import SCSI
import TapeHardware

/// The text printed for a failed command: the decoded error, with the device's sense.
public func describe(_ error: any Error) -> String {
    var sense: SCSI.SenseData?
    var text = "\(error)"
    if let e = error as? SCSIError {
        sense = e.sense
        text = e.description
    } else if let e = error as? ChangerError {
        sense = e.sense
        text = e.description
    }
    if let sense {
        text += "\n  " + sense.summaryLine
    }
    return text
}

/// 1 for a refused or failed operation, 2 for a device that could not be reached.
public func exitCode(for error: any Error) -> Int32 {
    if let e = error as? SCSIError, case .transport = e { return 2 }
    if let e = error as? ChangerError, case .scsi(.transport) = e { return 2 }
    return 1
}
