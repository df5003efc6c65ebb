/// The direction and buffer of a command's data phase.
public enum DataTransfer: Sendable, Equatable {
    /// No data phase (TEST UNIT READY, MOVE MEDIUM, REWIND, …).
    case none
    /// Data-out: the bytes sent to the device (WRITE, MODE SELECT, WRITE ATTRIBUTE, …).
    case toDevice([UInt8])
    /// Data-out from memory the caller owns and reuses (a block buffer of a copy's ring): the
    /// transport reads it in place and keeps nothing of it once `execute` returns.
    case toDeviceInPlace(BorrowedBytes)
    /// Data-in: the device may return up to `allocationLength` bytes.
    case fromDevice(allocationLength: Int)

    public var length: Int {
        switch self {
        case .none: return 0
        case .toDevice(let bytes): return bytes.count
        case .toDeviceInPlace(let bytes): return bytes.count
        case .fromDevice(let n): return n
        }
    }

    /// The data-out bytes as an array (a copy for in-place bytes); nil without a data-out phase.
    public var outgoingBytes: [UInt8]? {
        switch self {
        case .toDevice(let bytes): return bytes
        case .toDeviceInPlace(let bytes): return bytes.copied()
        case .none, .fromDevice: return nil
        }
    }
}

/// Bytes a data-out phase reads where they are. The caller keeps the memory valid and
/// unchanged until the command's `execute` returns; a transport that must keep the bytes
/// (a simulator's tape) copies them.
public struct BorrowedBytes: @unchecked Sendable, Equatable {
    /// nil only for zero bytes.
    public let base: UnsafeRawPointer?
    public let count: Int

    public init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress
        count = buffer.baseAddress == nil ? 0 : buffer.count
    }

    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public func copied() -> [UInt8] { [UInt8](buffer) }

    public static func == (a: BorrowedBytes, b: BorrowedBytes) -> Bool { a.base == b.base && a.count == b.count }
}

/// SAM-5 status codes (SAM-5 table 33).
public struct SCSIStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let good = SCSIStatus(rawValue: 0x00)
    public static let checkCondition = SCSIStatus(rawValue: 0x02)
    public static let conditionMet = SCSIStatus(rawValue: 0x04)
    public static let busy = SCSIStatus(rawValue: 0x08)
    public static let reservationConflict = SCSIStatus(rawValue: 0x18)
    public static let taskSetFull = SCSIStatus(rawValue: 0x28)
    public static let acaActive = SCSIStatus(rawValue: 0x30)
    public static let taskAborted = SCSIStatus(rawValue: 0x40)

    public var description: String {
        switch self {
        case .good: return "GOOD"
        case .checkCondition: return "CHECK CONDITION"
        case .conditionMet: return "CONDITION MET"
        case .busy: return "BUSY"
        case .reservationConflict: return "RESERVATION CONFLICT"
        case .taskSetFull: return "TASK SET FULL"
        case .acaActive: return "ACA ACTIVE"
        case .taskAborted: return "TASK ABORTED"
        default: return "status 0x" + String(rawValue, radix: 16)
        }
    }
}

/// A SCSI command as a transport executes it.
public struct SCSICommand: Sendable, Equatable {
    public var cdb: [UInt8]
    public var transfer: DataTransfer
    public var timeout: Duration

    public init(cdb: [UInt8], transfer: DataTransfer = .none, timeout: Duration? = nil) {
        self.cdb = cdb
        self.transfer = transfer
        self.timeout = timeout ?? CommandClass(cdb: cdb).timeout
    }

    public var operationCode: UInt8 { cdb.first ?? 0 }
}

/// What came back from the device for one command.
public struct SCSIResult: Sendable, Equatable {
    public var status: SCSIStatus
    /// Data-in bytes actually transferred (empty for data-out and no-data commands).
    public var data: [UInt8]
    /// Sense bytes as returned (autosense), empty when the device returned none.
    public var sense: [UInt8]
    /// Requested length − transferred length.
    public var residual: Int
    /// Linux host status (DID_*) and driver status (DRIVER_*), 0 when not applicable.
    public var hostStatus: UInt16
    public var driverStatus: UInt16

    public init(status: SCSIStatus, data: [UInt8] = [], sense: [UInt8] = [], residual: Int = 0,
                hostStatus: UInt16 = 0, driverStatus: UInt16 = 0) {
        self.status = status
        self.data = data
        self.sense = sense
        self.residual = residual
        self.hostStatus = hostStatus
        self.driverStatus = driverStatus
    }
}

/// A failure below the SCSI layer: the command did not reach the device or no status came back.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let deviceGone = Code(rawValue: "device-gone")
        public static let busy = Code(rawValue: "busy")
        public static let permissionDenied = Code(rawValue: "permission-denied")
        public static let timedOut = Code(rawValue: "timed-out")
        public static let hostError = Code(rawValue: "host-error")
        public static let invalidDevice = Code(rawValue: "invalid-device")
        public static let io = Code(rawValue: "io")
        /// The caller stopped waiting (its task was cancelled); the device was not told.
        public static let cancelled = Code(rawValue: "cancelled")
    }

    public var code: Code
    public var message: String
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }
}

/// Anything that can execute a CDB: Linux SG_IO, an iSCSI session, hwsim.
///
/// A transport reports SCSI status and sense as data (`SCSIResult`); it throws
/// only `TransportError` when no status could be obtained.
public protocol SCSITransport: Sendable {
    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult
}
