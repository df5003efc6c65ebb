import ArgumentParser
import Foundation
import SCSI
import TapeHardware

/// Runs a command body; on failure prints the decoded error (with sense) and exits non-zero.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        Output.error(describe(error))
        throw ExitCode(exitCode(for: error))
    }
}

func describe(_ error: any Error) -> String {
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
        text += String(format: "\n  sense: key %Xh (%@), ASC/ASCQ %02Xh/%02Xh",
                       sense.senseKey.rawValue, sense.senseKey.description,
                       sense.additionalSense.asc, sense.additionalSense.ascq)
    }
    return text
}

/// 1 for a refused or failed operation, 2 for a device that could not be reached.
func exitCode(for error: any Error) -> Int32 {
    if let e = error as? SCSIError, case .transport = e { return 2 }
    if let e = error as? ChangerError, case .scsi(.transport) = e { return 2 }
    return 1
}
