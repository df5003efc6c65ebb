import Catalog
import Discovery
import LTFS
import SCSI
import TapeHardware

extension TaskFailure {
    /// A failed task's record: the coded error's message (the same text the API and the CLI
    /// give), its code, and the decoded sense when the device answered CHECK CONDITION.
    init(task: LibraryTask, error: any Error) {
        let what = "\(task.type.rawValue) failed"
        if let readBack = error as? ReadBackFailure {
            // The robot step was done; only the catalog's read-back failed.
            let base = ServiceError(readBack.underlying)
            self.init(ServiceError(base.code, "\(readBack.step) was done, but reading the inventory back failed (the "
                                    + "catalog may be stale until a sync): \(base.message)", sense: base.sense))
            return
        }
        let coded = ServiceError(error)
        self.init(ServiceError(coded.code, "\(what): \(coded.message)", sense: coded.sense))
    }

    init(_ error: ServiceError) {
        self.init(message: error.message, code: error.code.rawValue, senseKey: error.sense?.senseKey,
                  asc: error.sense?.asc, ascq: error.sense?.ascq, senseDescription: error.sense?.description)
    }
}

/// A robot step worked but the inventory read afterwards failed.
struct ReadBackFailure: Error, Sendable {
    var step: String
    var underlying: any Error
}

/// A sync that found cartridges nobody registered (the catalog is synced all the same).
struct UnregisteredCartridges: Error, Sendable, CustomStringConvertible {
    var volumeTags: [String]
    var description: String {
        let shown = volumeTags.prefix(50).joined(separator: ", ") + (volumeTags.count > 50 ? ", …" : "")
        return "the library holds \(volumeTags.count) unregistered cartridge\(volumeTags.count == 1 ? "" : "s"): \(shown); "
            + "register them (POST tape_cartridges, or an import into a pool) — the catalog is synced"
    }
}

/// A running task an operator killed, stopped at a safe point (`phase` says where).
struct TaskKilled: Error, Sendable {
    var phase: String
}

/// A task that cannot run for a reason found before or between hardware steps.
struct TaskRunFailure: Error, Sendable, CustomStringConvertible {
    var code: ServiceErrorCode
    var message: String
    var description: String { message }

    init(_ code: ServiceErrorCode = .refused, message: String) {
        self.code = code; self.message = message
    }
}

extension Error {
    /// The transport reported the device node gone (ENODEV/ENXIO/ENOENT): a hot-unplug.
    var isDeviceGone: Bool {
        switch self {
        case let scsi as SCSIError:
            if case .transport(let transport) = scsi { return transport.code == .deviceGone }
            return false
        case let changer as ChangerError:
            if case .scsi(let scsi) = changer { return scsi.isDeviceGone }
            return false
        default:
            return false
        }
    }
}
