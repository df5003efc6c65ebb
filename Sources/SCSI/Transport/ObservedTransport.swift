/// Told of every command a transport completed: its outcome and how long it took (for metrics).
public protocol SCSICommandObserver: Sendable {
    func commandCompleted(_ outcome: SCSICommandOutcome)
}

/// One command as an observer sees it.
public struct SCSICommandOutcome: Sendable, Equatable {
    public var operationCode: UInt8
    public var duration: Duration
    /// The status the device returned; nil when the transport failed (no status).
    public var status: SCSIStatus?
    /// The sense key of a CHECK CONDITION whose sense data parsed; nil otherwise.
    public var senseKey: SenseKey?
    /// The transport's error code when there was no status (device gone, timed out, …).
    public var transportError: TransportError.Code?

    public init(operationCode: UInt8, duration: Duration, status: SCSIStatus?, senseKey: SenseKey?,
                transportError: TransportError.Code?) {
        self.operationCode = operationCode; self.duration = duration; self.status = status
        self.senseKey = senseKey; self.transportError = transportError
    }
}

/// A transport that tells an observer of each command it passes on, unchanged, to `inner`.
public struct ObservedTransport: SCSITransport {
    public let inner: any SCSITransport
    public let observer: any SCSICommandObserver

    public init(_ inner: any SCSITransport, observer: any SCSICommandObserver) {
        self.inner = inner
        self.observer = observer
    }

    public func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let result = try await inner.execute(command)
            var senseKey: SenseKey?
            if result.status == .checkCondition, let sense = try? SenseData(parsing: result.sense) {
                senseKey = sense.senseKey
            }
            observer.commandCompleted(SCSICommandOutcome(operationCode: command.operationCode, duration: clock.now - started,
                                                         status: result.status, senseKey: senseKey, transportError: nil))
            return result
        } catch {
            observer.commandCompleted(SCSICommandOutcome(operationCode: command.operationCode, duration: clock.now - started,
                                                         status: nil, senseKey: nil, transportError: error.code))
            throw error
        }
    }
}
