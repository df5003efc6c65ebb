import SCSI

/// Executes commands on one transport with the retry policy every device needs:
/// UNIT ATTENTION after power-on or a medium change is reported once and the command
/// retried; NOT READY "becoming ready" (04h/01h) is retried for a while, as PBS does after a
/// library power-on (scsi-reference.md, READ ELEMENT STATUS field quirks).
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

    /// Runs `command`; returns the GOOD result or throws a typed `SCSIError`.
    public func run(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        // The wait is counted in retries rather than read from a clock, so that a simulator
        // whose time is virtual (waits cost nothing) gives up after the same simulated time.
        let interval = retryInterval > .zero ? retryInterval : .milliseconds(500)
        let maxNotReadyRetries = max(1, Int((becomingReadyTimeout / interval).rounded(.up)))
        var notReadyRetries = 0
        while true {
            let result = try await runRaw(command)
            do {
                return try result.checked(opcode: command.operationCode)
            } catch where error.matches(.notReady, .becomingReady) && notReadyRetries < maxNotReadyRetries {
                notReadyRetries += 1
                if retryInterval > .zero {
                    do {
                        try await Task.sleep(for: retryInterval)
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
