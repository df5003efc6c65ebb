import SCSI

/// Executes commands on one transport with the retry policy every device needs:
/// UNIT ATTENTION after power-on, a medium change or changed mode parameters is reported once
/// and the command retried; NOT READY "becoming ready" (04h/01h) is retried with backoff
/// within `becomingReadyTimeout`, as PBS does after a library power-on (scsi-reference.md,
/// READ ELEMENT STATUS field quirks).
public struct CommandRunner: Sendable {
    public let transport: any SCSITransport
    /// How long to keep retrying NOT READY, becoming ready.
    public var becomingReadyTimeout: Duration
    /// Pause between retries; 0 against an instant simulator.
    public var retryInterval: Duration
    public var maxUnitAttentionRetries: Int

    public init(transport: any SCSITransport, becomingReadyTimeout: Duration = .seconds(300),
                retryInterval: Duration = .milliseconds(500), maxUnitAttentionRetries: Int = 4) {
        self.transport = transport
        self.becomingReadyTimeout = becomingReadyTimeout
        self.retryInterval = retryInterval
        self.maxUnitAttentionRetries = maxUnitAttentionRetries
    }

    /// The pause before NOT READY retry number `attempt` (0-based): `base` doubled at each
    /// retry up to `cap`, so a device that becomes ready at once is seen at once and one that
    /// inventories for minutes is not polled hundreds of times.
    public static func retryDelay(attempt: Int, base: Duration, cap: Duration = .seconds(10)) -> Duration {
        let ceiling = max(base, cap)
        var delay = base
        for _ in 0..<min(max(attempt, 0), 40) {
            delay = delay * 2
            if delay >= ceiling { return ceiling }
        }
        return delay
    }

    /// Runs `command`; returns the GOOD result or throws a typed `SCSIError`.
    public func run(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        // The wait is counted as the sum of the backoff pauses rather than read from a clock, so
        // that a simulator whose time is virtual (waits cost nothing) gives up after the same
        // simulated time; with no retry interval each pause counts as if taken (from 500 ms).
        let base = retryInterval > .zero ? retryInterval : .milliseconds(500)
        var waited: Duration = .zero
        var attempt = 0
        while true {
            let result = try await runRaw(command)
            do {
                return try result.checked(opcode: command.operationCode)
            } catch where error.matches(.notReady, .becomingReady) && waited < becomingReadyTimeout {
                let delay = Self.retryDelay(attempt: attempt, base: base)
                attempt += 1
                waited += delay
                if retryInterval > .zero {
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        throw .transport(TransportError(.cancelled, "stopped waiting for the device to become ready: "
                                                            + "the task was cancelled"))
                    }
                }
            }
        }
    }

    /// Runs `command` and returns the raw result even on CHECK CONDITION (for READ/WRITE,
    /// whose sense carries FILEMARK/EOM/ILI that are not failures).
    public func runRaw(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        var unitAttentions = 0
        while true {
            let result: SCSIResult
            do {
                result = try await transport.execute(command)
            } catch {
                throw .transport(error)
            }
            if result.status == .checkCondition, let sense = result.senseData,
               sense.senseKey == .unitAttention, unitAttentions < maxUnitAttentionRetries {
                unitAttentions += 1
                continue
            }
            return result
        }
    }

    /// Runs `command` and parses its data with `parse`.
    public func run<T>(_ command: SCSICommand,
                       parse: ([UInt8]) throws(SCSIParseError) -> T) async throws(SCSIError) -> T {
        let result = try await run(command)
        do {
            return try parse(result.data)
        } catch {
            throw .parse(error)
        }
    }
}

extension CommandRunner {
    /// Standard INQUIRY (SPC-4 6.6.2).
    public func inquiry() async throws(SCSIError) -> StandardInquiry {
        try await run(.inquiry(allocationLength: 96)) { (d) throws(SCSIParseError) in
            try StandardInquiry(parsing: d)
        }
    }

    /// Unit serial number (VPD 80h), nil when the device has none.
    public func serialNumber() async throws(SCSIError) -> String? {
        do {
            return try await run(.inquiry(evpd: true, page: 0x80, allocationLength: 252)) {
                (d) throws(SCSIParseError) in try UnitSerialNumber(parsing: d).serial
            }
        } catch where error.matches(.illegalRequest) {
            return nil
        }
    }
}
