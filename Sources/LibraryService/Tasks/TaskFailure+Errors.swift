import Catalog
import Discovery
import LTFS
import SCSI
import TapeHardware

extension TaskFailure {
    /// A failed task's record: the message an operator reads, and the decoded sense when the
    /// device answered CHECK CONDITION.
    init(task: LibraryTask, error: any Error) {
        let what = "\(task.type.rawValue) failed"
        switch error {
        case let offline as DeviceOfflineError:
            self.init(message: "\(what): \(offline.description)")
        case let scsi as SCSIError:
            self.init(message: "\(what): \(scsi.description)", sense: scsi.sense)
        case let changer as ChangerError:
            if case .scsi(let scsi) = changer {
                self.init(message: "\(what): \(scsi.description)", sense: scsi.sense)
            } else {
                self.init(message: "\(what): \(changer.description)")
            }
        case let failure as TaskRunFailure:
            self.init(message: "\(what): \(failure.message)")
        case let format as LTFSFormatError:
            if case .command(_, let scsi) = format {
                self.init(message: "\(what): \(format.description)", sense: scsi.sense)
            } else {
                self.init(message: "\(what): \(format.description)")
            }
        case let unregistered as UnregisteredCartridges:
            self.init(message: "\(what): \(unregistered.description)")
        case let readBack as ReadBackFailure:
            // The robot step was done; only the catalog's read-back failed.
            let base = TaskFailure(task: task, error: readBack.underlying)
            let detail = base.message.hasPrefix(what + ": ") ? String(base.message.dropFirst(what.count + 2)) : base.message
            self.init(message: "\(readBack.step) was done, but reading the inventory back failed (the catalog may be "
                        + "stale until a sync): \(detail)",
                      senseKey: base.senseKey, asc: base.asc, ascq: base.ascq, senseDescription: base.senseDescription)
        default:
            self.init(message: "\(what): \(error)")
        }
    }

    init(message: String, sense: SenseData?) {
        guard let sense else {
            self.init(message: message)
            return
        }
        self.init(message: message, senseKey: Int(sense.senseKey.rawValue),
                  asc: Int(sense.additionalSense.asc), ascq: Int(sense.additionalSense.ascq),
                  senseDescription: sense.text)
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
    var message: String
    var description: String { message }
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
