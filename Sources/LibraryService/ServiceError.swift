import Catalog
import Discovery
import Foundation
import LTFS
import SCSI
import TapeHardware

/// A stable name for why the service refused or failed something. The API answers with it (and
/// maps it to an HTTP status in `httpStatus`), the CLI exits with `exitCode`, and a failed task
/// records it beside its message. Codes are part of the contract: never renamed once shipped.
public enum ServiceErrorCode: String, Sendable, Codable, CaseIterable {
    // The request itself.
    case invalidRequest = "invalid_request"
    case invalidQuery = "invalid_query"
    case unauthenticated = "unauthenticated"
    case forbidden = "forbidden"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case payloadTooLarge = "payload_too_large"
    case conflict = "conflict"
    case serviceMode = "service_mode"
    case accountLocked = "account_locked"
    // What a task or the library refused.
    case refused = "refused"
    case unregisteredCartridges = "unregistered_cartridges"
    case mediumIncompatible = "medium_incompatible"
    case mediumProtected = "medium_protected"
    case noDrive = "no_drive"
    case noSlot = "no_slot"
    case catalogStale = "catalog_stale"
    case notBuilt = "not_built"
    case killed = "killed"
    case interrupted = "interrupted"
    // The hardware.
    case libraryOffline = "library_offline"
    case deviceOffline = "device_offline"
    case deviceUnreachable = "device_unreachable"
    case deviceError = "device_error"
    case deviceAnswerInvalid = "device_answer_invalid"
    case ltfsError = "ltfs_error"
    /// Data read back from tape is not what was written (SHA-256, or the layout, differs).
    case dataMismatch = "data_mismatch"
    // The service.
    case catalogStorage = "catalog_storage"
    case `internal` = "internal"

    /// The one table from code to HTTP status. A request the hardware could not serve is a
    /// 409 (the library's state refused it) or 503 (the device is not there), never a 500:
    /// 500 is kept for faults of tapelib itself.
    public var httpStatus: Int {
        switch self {
        case .invalidRequest, .invalidQuery: return 400
        case .unauthenticated: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .payloadTooLarge: return 413
        case .conflict, .serviceMode, .refused, .noDrive, .noSlot, .catalogStale, .killed, .interrupted: return 409
        case .accountLocked: return 401
        case .unregisteredCartridges, .mediumIncompatible, .mediumProtected, .ltfsError, .dataMismatch: return 422
        case .notBuilt: return 501
        case .libraryOffline, .deviceOffline, .deviceUnreachable: return 503
        case .deviceError, .deviceAnswerInvalid: return 502
        case .catalogStorage, .internal: return 500
        }
    }

    /// The CLI's exit status: 2 when a device could not be reached, 1 for everything else.
    public var exitCode: Int32 {
        switch self {
        case .deviceOffline, .deviceUnreachable, .libraryOffline: return 2
        default: return 1
        }
    }
}

/// A decoded CHECK CONDITION, as a failed request or task reports it.
public struct DecodedSense: Sendable, Equatable, Codable {
    public var senseKey: Int
    public var asc: Int
    public var ascq: Int
    /// "NOT READY: Logical unit is in process of becoming ready".
    public var description: String
    /// The line the CLI prints under the message (SenseData.summaryLine, as `tapelib`'s device commands print it).
    public var line: String

    public init(_ sense: SenseData) {
        senseKey = Int(sense.senseKey.rawValue); asc = Int(sense.additionalSense.asc)
        ascq = Int(sense.additionalSense.ascq); description = sense.text; line = sense.summaryLine
    }

    /// The sense a failed task recorded (its sense key, ASC/ASCQ and description columns).
    public init?(senseKey: Int?, asc: Int?, ascq: Int?, description: String?) {
        guard let senseKey, let asc, let ascq else { return nil }
        self.senseKey = senseKey; self.asc = asc; self.ascq = ascq
        self.description = description ?? "sense key \(senseKey)"
        line = "sense: \(self.description), ASC/ASCQ \(String(format: "%02Xh/%02Xh", asc, ascq))"
    }
}

/// The service's failure: a stable code, the message an operator reads, and the decoded sense
/// when a device answered CHECK CONDITION. Every error the service meets is turned into one by
/// `ServiceError(_:)`, so the API, the CLI and the task log say the same thing.
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ServiceErrorCode
    public var message: String
    public var sense: DecodedSense?

    public init(_ code: ServiceErrorCode, _ message: String, sense: DecodedSense? = nil) {
        self.code = code; self.message = message; self.sense = sense
    }

    public var description: String { message }

    /// The message, and the sense on a second line when there is one (CLI output).
    public var report: String {
        guard let sense else { return message }
        return message + "\n  " + sense.line
    }

    /// Classifies any error the service's parts throw.
    public init(_ error: any Error) {
        switch error {
        case let service as ServiceError:
            self = service
        case let refusal as TaskRunFailure:
            self.init(refusal.code, refusal.message)
        case let offline as DeviceOfflineError:
            self.init(.deviceOffline, offline.description)
        case let scsi as SCSIError:
            self.init(scsi: scsi)
        case let changer as ChangerError:
            switch changer {
            case .scsi(let scsi): self.init(scsi: scsi)
            case .noFreeSlot: self.init(.noSlot, changer.description)
            case .noSuchSlot, .noSuchDrive: self.init(.notFound, changer.description)
            default: self.init(.refused, changer.description)
            }
        case let format as LTFSFormatError:
            switch format {
            case .command(_, let scsi):
                self.init(scsi: scsi)
                message = format.description
            case .wormMedium, .writeProtected: self.init(.mediumProtected, format.description)
            case .unsupportedGeneration, .unknownGeneration: self.init(.mediumIncompatible, format.description)
            case .cartridgeHoldsData: self.init(.refused, format.description)
            default: self.init(.ltfsError, format.description)
            }
        case let unregistered as UnregisteredCartridges:
            self.init(.unregisteredCartridges, unregistered.description)
        case let killed as TaskKilled:
            self.init(.killed, "killed by an operator at a safe point (\(killed.phase))")
        case let catalog as CatalogError:
            self.init(catalog: catalog)
        case let service as LibraryServiceError:
            switch service {
            case .libraryNotFound: self.init(.notFound, service.description)
            case .libraryNotAttached: self.init(.libraryOffline, service.description)
            case .libraryWithoutChanger, .deviceWithoutSerial: self.init(.refused, service.description)
            case .driveNotInLibrary, .invalidTask: self.init(.invalidRequest, service.description)
            case .catalog(let catalog): self.init(catalog: catalog)
            case .discovery(let discovery): self.init(.deviceUnreachable, "discovery: \(discovery)")
            }
        case let parse as DeviceAddress.ParseError:
            self.init(.invalidRequest, parse.description)
        default:
            self.init(.internal, "\(error)")
        }
    }

    init(scsi: SCSIError) {
        switch scsi {
        case .checkCondition(let sense, _):
            self.init(.deviceError, scsi.description, sense: DecodedSense(sense))
        case .transport(let transport):
            self.init(transport.code == .deviceGone ? .deviceOffline : .deviceUnreachable, scsi.description)
        case .parse:
            self.init(.deviceAnswerInvalid, scsi.description)
        case .checkConditionWithoutSense, .status:
            self.init(.deviceError, scsi.description)
        }
    }

    init(catalog: CatalogError) {
        switch catalog {
        case .filter: self.init(.invalidQuery, catalog.description)
        case .notFound: self.init(.notFound, catalog.description)
        case .invalidArgument, .constraintViolation: self.init(.invalidRequest, catalog.description)
        case .illegalTransition, .conflict: self.init(.conflict, catalog.description)
        case .storage: self.init(.catalogStorage, catalog.description)
        }
    }
}
