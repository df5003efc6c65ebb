/// Why a SCSI command failed, as seen by code above the transport.
public enum SCSIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// CHECK CONDITION with decoded sense data.
    case checkCondition(SenseData, opcode: UInt8)
    /// CHECK CONDITION whose sense bytes were missing or could not be decoded.
    case checkConditionWithoutSense(raw: [UInt8], opcode: UInt8)
    /// Any other non-GOOD status (BUSY, RESERVATION CONFLICT, TASK SET FULL, …).
    case status(SCSIStatus, opcode: UInt8)
    /// The command did not complete at the transport level.
    case transport(TransportError)
    /// The device answered, but its data could not be parsed.
    case parse(SCSIParseError)

    /// The operation code of the failed command, when known.
    public var opcode: UInt8? {
        switch self {
        case .checkCondition(_, let op), .checkConditionWithoutSense(_, let op), .status(_, let op):
            return op
        case .transport, .parse:
            return nil
        }
    }

    /// The decoded sense data for a CHECK CONDITION.
    public var sense: SenseData? {
        if case .checkCondition(let sense, _) = self { return sense }
        return nil
    }

    /// Sense key and ASC/ASCQ match (for `catch` conditions and retry policies).
    public func matches(_ key: SenseKey, _ additional: AdditionalSense? = nil) -> Bool {
        guard let sense else { return false }
        return sense.senseKey == key && (additional == nil || sense.additionalSense == additional)
    }

    public var description: String {
        switch self {
        case .checkCondition(let sense, let op):
            return "\(OperationCode.name(op)) failed: \(sense)"
        case .checkConditionWithoutSense(let raw, let op):
            return "\(OperationCode.name(op)) failed: CHECK CONDITION without usable sense"
                + (raw.isEmpty ? "" : " (\(raw.count) sense bytes)")
        case .status(let status, let op):
            return "\(OperationCode.name(op)) failed: status \(status)"
        case .transport(let error):
            return "transport error: \(error.message)"
        case .parse(let error):
            return "unparsable response: \(error)"
        }
    }
}

extension SCSIResult {
    /// Returns `self` for GOOD (and CONDITION MET) status; throws `SCSIError` otherwise.
    ///
    /// CHECK CONDITION becomes `.checkCondition` with decoded sense, or
    /// `.checkConditionWithoutSense` when the sense bytes are absent or undecodable.
    @discardableResult
    public func checked(opcode: UInt8) throws(SCSIError) -> SCSIResult {
        switch status {
        case .good, .conditionMet:
            return self
        case .checkCondition:
            guard let sense = try? SenseData(parsing: self.sense) else {
                throw .checkConditionWithoutSense(raw: self.sense, opcode: opcode)
            }
            throw .checkCondition(sense, opcode: opcode)
        default:
            throw .status(status, opcode: opcode)
        }
    }

    /// Decoded sense bytes, if any were returned and they decode.
    public var senseData: SenseData? {
        sense.isEmpty ? nil : try? SenseData(parsing: sense)
    }
}
