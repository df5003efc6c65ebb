import SCSI

/// What one READ(6) returned (SSC-4 4.2.x and scsi-reference.md "Sense conditions").
public enum ReadOutcome: Sendable, Equatable {
    /// A record; `truncatedBy` > 0 when the record was longer than the buffer (ILI).
    case record([UInt8], truncatedBy: Int)
    /// A filemark was read (NO SENSE, FILEMARK bit, 00h/01h); the tape is past it.
    case filemark
    /// BLANK CHECK 08h/00h/05h: end of data.
    case endOfData
}

/// What the drive reports about a WRITE: early warning is a flag, not an error (PBS).
public struct WriteOutcome: Sendable, Equatable {
    public var earlyWarning: Bool
}

/// Why the drive is not ready, decoded from TEST UNIT READY's sense.
public enum DriveReadiness: Sendable, Equatable, CustomStringConvertible {
    case ready
    case noMedium
    case becomingReady
    case cleaning
    case operationInProgress(percent: Double?)
    case notReady(SenseData)

    public var description: String {
        switch self {
        case .ready: return "ready"
        case .noMedium: return "no medium"
        case .becomingReady: return "becoming ready"
        case .cleaning: return "cleaning cartridge installed"
        case .operationInProgress(let p): return "operation in progress" + (p.map { " (\(Int($0 * 100))%)" } ?? "")
        case .notReady(let s): return s.text
        }
    }
}

/// A tape drive (SSC-4): positioning, records and filemarks, erase and format with
/// progress, MAM attributes, TapeAlert and volume statistics.
///
/// An actor so that multi-command sequences (locate then read, write then filemark)
/// cannot interleave with another caller's commands.
public actor TapeDrive {
    public let runner: CommandRunner
    /// Polling interval for IMMED operations.
    public var pollInterval: Duration

    public init(transport: any SCSITransport, pollInterval: Duration = .seconds(1),
                retryInterval: Duration = .milliseconds(500)) {
        self.runner = CommandRunner(transport: transport, retryInterval: retryInterval)
        self.pollInterval = pollInterval
    }

    // MARK: Identity and readiness

    public func inquiry() async throws(SCSIError) -> StandardInquiry {
        try await runner.inquiry()
    }

    /// Unit serial number (VPD 80h), nil when the device has none.
    public func serialNumber() async throws(SCSIError) -> String? {
        try await runner.serialNumber()
    }

    /// TEST UNIT READY, decoded; UNIT ATTENTION is consumed and retried.
    public func readiness() async throws(SCSIError) -> DriveReadiness {
        let result = try await runner.runRaw(.testUnitReady())
        if result.status == .good { return .ready }
        guard result.status == .checkCondition, let sense = result.senseData else {
            try result.checked(opcode: OperationCode.testUnitReady)
            return .ready
        }
        switch (sense.senseKey, sense.additionalSense) {
        case (.notReady, .mediumNotPresent): return .noMedium
        case (.notReady, .becomingReady): return .becomingReady
        case (.notReady, .cleaningCartridgeInstalled): return .cleaning
        case (.notReady, .operationInProgress): return .operationInProgress(percent: sense.progress)
        case (.notReady, _): return .notReady(sense)
        default: throw .checkCondition(sense, opcode: OperationCode.testUnitReady)
        }
    }

    // MARK: Load, unload, positioning

    public func load() async throws(SCSIError) {
        _ = try await runner.run(.loadUnload(load: true))
    }

    public func unload() async throws(SCSIError) {
        _ = try await runner.run(.loadUnload(load: false))
    }

    public func rewind() async throws(SCSIError) {
        _ = try await runner.run(.rewind())
    }

    /// LOCATE(16) to a logical object on a partition (changing partition when asked).
    public func locate(partition: UInt8, block: UInt64) async throws(SCSIError) {
        _ = try await runner.run(.locate16(partition: partition, block: block, changePartition: true))
    }

    public func space(_ code: SpaceCode, count: Int64) async throws(SCSIError) {
        _ = try await runner.run(.space16(code: code, count: count))
    }

    // MARK: Records

    /// Writes one variable-length record.
    @discardableResult
    public func write(record: [UInt8]) async throws(SCSIError) -> WriteOutcome {
        let result = try await runner.runRaw(.write6(data: record))
        return try Self.writeOutcome(result, opcode: OperationCode.write6)
    }

    /// Writes one variable-length record read in place from `bytes`, which must stay valid and
    /// unchanged until this returns (a block buffer the caller reuses).
    public func write(borrowing bytes: BorrowedBytes) async throws(SCSIError) -> WriteOutcome {
        let result = try await runner.runRaw(.write6(borrowing: bytes))
        return try Self.writeOutcome(result, opcode: OperationCode.write6)
    }

    @discardableResult
    public func writeFilemarks(_ count: UInt32 = 1) async throws(SCSIError) -> WriteOutcome {
        let result = try await runner.runRaw(.writeFilemarks6(count: count))
        return try Self.writeOutcome(result, opcode: OperationCode.writeFilemarks6)
    }

    private static func writeOutcome(_ result: SCSIResult, opcode: UInt8) throws(SCSIError) -> WriteOutcome {
        if result.status == .good { return WriteOutcome(earlyWarning: false) }
        if result.status == .checkCondition, let sense = result.senseData,
           sense.senseKey == .noSense || sense.senseKey == .recoveredError, sense.endOfMedium {
            // Early warning: NO SENSE, EOM, 00h/02h — the write succeeded.
            return WriteOutcome(earlyWarning: true)
        }
        try result.checked(opcode: opcode)
        return WriteOutcome(earlyWarning: false)
    }

    /// Reads one variable-length record of at most `maxLength` bytes (SILI set: a shorter
    /// record is not an error; a longer one reports ILI with the overrun in INFORMATION).
    public func readRecord(maxLength: Int) async throws(SCSIError) -> ReadOutcome {
        let result = try await runner.runRaw(.read6(length: maxLength, sili: true))
        if result.status == .good { return .record(result.data, truncatedBy: 0) }
        guard result.status == .checkCondition, let sense = result.senseData else {
            try result.checked(opcode: OperationCode.read6)
            return .record(result.data, truncatedBy: 0)
        }
        if sense.filemark { return .filemark }
        if sense.senseKey == .blankCheck { return .endOfData }
        if sense.incorrectLength {
            // INFORMATION = requested − actual; negative (two's complement) when the record
            // was longer than the buffer.
            let info = Int64(bitPattern: sense.information ?? 0)
            let signed = info > Int64(Int32.max) ? Int64(Int32(truncatingIfNeeded: info)) : info
            return .record(result.data, truncatedBy: signed < 0 ? Int(-signed) : 0)
        }
        if sense.senseKey == .noSense && !sense.endOfMedium {
            return .record(result.data, truncatedBy: 0)
        }
        throw .checkCondition(sense, opcode: OperationCode.read6)
    }

    // MARK: Long operations

    /// ERASE from the current position (normally BOT) to the end, short or long, with IMMED
    /// and progress polling through REQUEST SENSE's progress indication (a short erase on
    /// some drives also takes a while: it rewrites the end-of-data region and rewinds).
    public func erase(long: Bool, progress: (@Sendable (Double) -> Void)? = nil) async throws(SCSIError) {
        _ = try await runner.run(.erase(long: long, immediate: true))
        try await waitForCompletion(progress: progress)
    }

    /// FORMAT MEDIUM (SSC-4 7.3) with IMMED, polled.
    public func format(_ format: MediumFormat, progress: (@Sendable (Double) -> Void)? = nil) async throws(SCSIError) {
        _ = try await runner.run(.formatMedium(format: format, immediate: true))
        try await waitForCompletion(progress: progress)
    }

    /// Polls TEST UNIT READY / REQUEST SENSE until an IMMED operation completes.
    public func waitForCompletion(progress: (@Sendable (Double) -> Void)?) async throws(SCSIError) {
        while true {
            let result = try await runner.runRaw(.testUnitReady())
            if result.status == .good { progress?(1); return }
            guard let sense = result.senseData else {
                try result.checked(opcode: OperationCode.testUnitReady)
                return
            }
            if sense.senseKey == .notReady && sense.additionalSense == .operationInProgress {
                // The progress indication may come with TUR's sense or only with REQUEST SENSE.
                var fraction = sense.progress
                if fraction == nil {
                    let rs = try await runner.runRaw(.requestSense())
                    fraction = (try? SenseData(parsing: rs.data))?.progress
                }
                if let fraction { progress?(fraction) }
                do {
                    try await Task.sleep(for: pollInterval)
                } catch {
                    throw .transport(TransportError(.cancelled, "stopped waiting for the drive: the task was cancelled"))
                }
                continue
            }
            throw .checkCondition(sense, opcode: OperationCode.testUnitReady)
        }
    }

    public func setPollInterval(_ interval: Duration) { pollInterval = interval }

    /// Waits until the drive is ready after a cartridge was put in it (the robot's move ends
    /// before the drive has threaded the tape): TEST UNIT READY is repeated through NOT READY
    /// becoming ready (04h/01h) and "no medium" (a drive that has not yet seen the cartridge)
    /// within `budget`, the LOAD command class's time (scsi-reference.md: up to 1,020 s).
    /// Like `CommandRunner`, polls back off (`CommandRunner.retryDelay`) and the wait is counted
    /// as the sum of the pauses rather than read from a clock, so a simulator with virtual time
    /// gives up after the same simulated time. Any other condition (an incompatible medium
    /// 30h/xx, a cleaning cartridge) is thrown at once with its sense; a budget that runs out
    /// throws the last NOT READY sense.
    /// The longest pause between two polls of `waitUntilReady`.
    public static let readyPollCap: Duration = .seconds(2)

    public func waitUntilReady(budget: Duration = .seconds(1_020)) async throws(SCSIError) {
        let base = runner.retryInterval > .zero ? runner.retryInterval : .milliseconds(500)
        var waited: Duration = .zero
        var polls = 0
        while true {
            let result = try await runner.runRaw(.testUnitReady())
            if result.status == .good { return }
            guard result.status == .checkCondition, let sense = result.senseData else {
                try result.checked(opcode: OperationCode.testUnitReady)
                return
            }
            let waiting = sense.senseKey == .notReady
                && (sense.additionalSense == .becomingReady || sense.additionalSense == .mediumNotPresent)
            guard waiting, waited < budget else { throw .checkCondition(sense, opcode: OperationCode.testUnitReady) }
            // Capped at 2 s: threading takes seconds, and a drive seen ready late idles for the wait.
            let delay = CommandRunner.retryDelay(attempt: polls, base: base, cap: Self.readyPollCap)
            polls += 1
            waited += delay
            if runner.retryInterval > .zero {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw .transport(TransportError(.cancelled, "stopped waiting for the drive to become ready: "
                                                        + "the task was cancelled"))
                }
            }
        }
    }

    /// The drive's own LTO generation: the newest generation among the densities it reports
    /// as writable in REPORT DENSITY SUPPORT (MEDIA = 0: what the drive supports, not what
    /// the mounted cartridge holds). Nil when the drive reports no LTO density.
    public func driveGeneration() async throws(SCSIError) -> LTOGeneration? {
        let report = try await runner.run(.reportDensitySupport(media: false)) { (d) throws(SCSIParseError) in
            try DensitySupportReport(parsing: d)
        }
        return report.descriptors.filter(\.writable).compactMap(\.ltoGeneration).max()
    }

    // MARK: Raw access for layers above (LTFS)

    public func execute(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        try await runner.run(command)
    }
}
