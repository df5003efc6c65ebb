import CISCSI
import Foundation
import SCSI

/// A LUN of an iSCSI target, through libiscsi's synchronous API, as a `SCSITransport`
/// (what `--device iscsi://HOST:PORT/IQN/LUN` opens).
///
/// libiscsi's sync calls block, so the session lives on its own `DeviceThread`; commands on
/// one transport are serialised.
public final class ISCSITransport: SCSITransport {
    public let url: String
    private let thread: DeviceThread
    private let session: ISCSISession

    private init(url: String, thread: DeviceThread, session: ISCSISession) {
        self.url = url
        self.thread = thread
        self.session = session
    }

    /// Logs in to the target named by `url` (`iscsi://HOST[:PORT]/IQN/LUN`).
    public static func connect(url: String, initiator: String = "iqn.2026-11.org.tapelib:initiator")
        async throws(TransportError) -> ISCSITransport {
        let thread = DeviceThread(name: "iscsi:" + url)
        let outcome: Result<ISCSISession, TransportError> = await thread.run {
            ISCSISession.login(url: url, initiator: initiator)
        }
        switch outcome {
        case .success(let session): return ISCSITransport(url: url, thread: thread, session: session)
        case .failure(let error):
            thread.shutdown()
            throw error
        }
    }

    /// A transport that logs in on its device thread before its first command, for callers
    /// that cannot await (a synchronous device factory); login errors come from that `execute`.
    public init(url: String, initiator: String = "iqn.2026-11.org.tapelib:initiator") {
        self.url = url
        self.thread = DeviceThread(name: "iscsi:" + url)
        self.session = ISCSISession(pendingURL: url, initiator: initiator)
    }

    public func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let session = self.session
        let outcome: Result<SCSIResult, TransportError> = await thread.run { session.execute(command) }
        return try outcome.get()
    }

    /// Logs out and closes the session.
    public func close() async {
        let session = self.session
        await thread.run { session.close() }
        thread.shutdown()
    }

    deinit {
        let session = self.session
        thread.post { session.close() }
        thread.shutdown()
    }
}

/// The libiscsi context; touched only on its transport's device thread.
final class ISCSISession: @unchecked Sendable {
    private var context: OpaquePointer?
    private(set) var lun: Int32
    let url: String
    /// For a lazy session: the initiator name to log in with before the first command.
    private var pendingInitiator: String?

    private init(context: OpaquePointer, lun: Int32, url: String) {
        self.context = context
        self.lun = lun
        self.url = url
    }

    init(pendingURL: String, initiator: String) {
        self.url = pendingURL
        self.lun = 0
        self.pendingInitiator = initiator
    }

    /// Logs in now if this session was created lazily and has not logged in yet.
    private func connectIfNeeded() -> TransportError? {
        guard context == nil, let initiator = pendingInitiator else { return nil }
        switch Self.login(url: url, initiator: initiator) {
        case .success(let session):
            // Take over the new session's context.
            context = session.context
            lun = session.lun
            session.context = nil
            return nil
        case .failure(let error): return error
        }
    }

    static func login(url: String, initiator: String) -> Result<ISCSISession, TransportError> {
        guard let context = iscsi_create_context(initiator) else {
            return .failure(TransportError(.io, "\(url): cannot create an iSCSI context"))
        }
        guard let parsed = iscsi_parse_full_url(context, url) else {
            let reason = String(cString: iscsi_get_error(context))
            iscsi_destroy_context(context)
            return .failure(TransportError(.invalidDevice, "\(url): not an iSCSI URL (iscsi://HOST[:PORT]/IQN/LUN): \(reason)"))
        }
        defer { iscsi_destroy_url(parsed) }
        let portal = withUnsafeBytes(of: parsed.pointee.portal) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let target = withUnsafeBytes(of: parsed.pointee.target) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let lun = parsed.pointee.lun
        iscsi_set_targetname(context, target)
        iscsi_set_session_type(context, ISCSI_SESSION_NORMAL)
        iscsi_set_header_digest(context, ISCSI_HEADER_DIGEST_NONE_CRC32C)
        iscsi_set_timeout(context, 30)
        if iscsi_full_connect_sync(context, portal, lun) != 0 {
            let reason = String(cString: iscsi_get_error(context))
            iscsi_destroy_context(context)
            return .failure(TransportError(.deviceGone, "\(url): iSCSI login to \(portal) failed: \(reason)"))
        }
        return .success(ISCSISession(context: context, lun: lun, url: url))
    }

    func execute(_ command: SCSICommand) -> Result<SCSIResult, TransportError> {
        if let error = connectIfNeeded() { return .failure(error) }
        guard let context else { return .failure(TransportError(.deviceGone, "\(url): session was closed")) }
        guard !command.cdb.isEmpty, command.cdb.count <= 16 else {
            return .failure(TransportError(.invalidDevice, "\(url): CDB length \(command.cdb.count) is not supported"))
        }
        var cdb = command.cdb
        let direction: Int32
        switch command.transfer {
        case .none: direction = Int32(SCSI_XFER_NONE.rawValue)
        case .toDevice, .toDeviceInPlace: direction = Int32(SCSI_XFER_WRITE.rawValue)
        case .fromDevice: direction = Int32(SCSI_XFER_READ.rawValue)
        }
        let expected = Int32(clamping: command.transfer.length)
        guard let task = cdb.withUnsafeMutableBufferPointer({
            scsi_create_task(Int32($0.count), $0.baseAddress, direction, expected)
        }) else {
            return .failure(TransportError(.io, "\(url): cannot allocate a SCSI task"))
        }
        let seconds = max(1, command.timeout.components.seconds)
        iscsi_set_timeout(context, Int32(clamping: seconds))

        // Data-in goes straight into our buffer (an iovec), so data that arrives with a CHECK
        // CONDITION (a short READ with ILI) is kept; libiscsi then leaves only the sense in datain.
        let dataIn = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, command.transfer.length), alignment: 16)
        defer { dataIn.deallocate() }
        var iovec = scsi_iovec(iov_base: dataIn.baseAddress, iov_len: command.transfer.length)
        if case .fromDevice = command.transfer { scsi_task_set_iov_in(task, &iovec, 1) }

        let completed: UnsafeMutablePointer<scsi_task>?
        if case .toDevice(let bytes) = command.transfer {
            var dataOut = bytes
            completed = dataOut.withUnsafeMutableBufferPointer { buffer in
                var data = iscsi_data(size: buffer.count, data: buffer.baseAddress)
                return iscsi_scsi_command_sync(context, lun, task, &data)
            }
        } else if case .toDeviceInPlace(let bytes) = command.transfer {
            // libiscsi only reads data-out; its struct wants a mutable pointer.
            var data = iscsi_data(size: bytes.count, data: bytes.base.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) })
            completed = iscsi_scsi_command_sync(context, lun, task, &data)
        } else {
            completed = iscsi_scsi_command_sync(context, lun, task, nil)
        }
        guard let completed else {
            // The submission failed: libiscsi did not take the task.
            scsi_free_scsi_task(task)
            let reason = String(cString: iscsi_get_error(context))
            return .failure(TransportError(.deviceGone, "\(url): command 0x\(String(command.operationCode, radix: 16)) failed: \(reason)"))
        }
        defer { scsi_free_scsi_task(completed) }
        return Self.result(of: completed.pointee, command: command, dataIn: UnsafeRawBufferPointer(dataIn),
                           url: url, context: context)
    }

    static func result(of task: scsi_task, command: SCSICommand, dataIn: UnsafeRawBufferPointer,
                       url: String, context: OpaquePointer) -> Result<SCSIResult, TransportError> {
        let status = UInt32(bitPattern: task.status)
        let op = "command 0x" + String(command.operationCode, radix: 16)
        if status == SCSI_STATUS_TIMEOUT.rawValue {
            return .failure(TransportError(.timedOut, "\(url): \(op) timed out"))
        }
        if status == SCSI_STATUS_CANCELLED.rawValue || status == SCSI_STATUS_ERROR.rawValue {
            let reason = String(cString: iscsi_get_error(context))
            return .failure(TransportError(.hostError, "\(url): \(op) failed: \(reason)"))
        }
        let scsiStatus = SCSIStatus(rawValue: UInt8(truncatingIfNeeded: status))
        var sense: [UInt8] = []
        if scsiStatus == .checkCondition, task.datain.size >= 2, let pointer = task.datain.data {
            // libiscsi leaves the response's data segment in datain: a 2-byte SenseLength,
            // then the sense bytes (RFC 7143 §11.4.7.2).
            let segment = UnsafeBufferPointer(start: pointer, count: Int(task.datain.size))
            let length = Int(segment[0]) << 8 | Int(segment[1])
            sense = Array(segment.dropFirst(2).prefix(length))
        }
        let requested = command.transfer.length
        var residual = 0
        switch task.residual_status {
        case SCSI_RESIDUAL_UNDERFLOW: residual = min(requested, Int(task.residual))
        default: residual = 0
        }
        var data: [UInt8] = []
        if case .fromDevice = command.transfer {
            data = Array(dataIn.prefix(requested - residual))
        }
        return .success(SCSIResult(status: scsiStatus, data: data, sense: sense, residual: residual))
    }

    func close() {
        pendingInitiator = nil
        guard let context else { return }
        iscsi_logout_sync(context)
        iscsi_destroy_context(context)
        self.context = nil
    }
}
