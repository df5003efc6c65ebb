/// Sense keys (SPC-4 table 54).
public enum SenseKey: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case noSense = 0x0
    case recoveredError = 0x1
    case notReady = 0x2
    case mediumError = 0x3
    case hardwareError = 0x4
    case illegalRequest = 0x5
    case unitAttention = 0x6
    case dataProtect = 0x7
    case blankCheck = 0x8
    case vendorSpecific = 0x9
    case copyAborted = 0xA
    case abortedCommand = 0xB
    case reserved0C = 0xC
    case volumeOverflow = 0xD
    case miscompare = 0xE
    case completed = 0xF

    public var description: String {
        switch self {
        case .noSense: return "NO SENSE"
        case .recoveredError: return "RECOVERED ERROR"
        case .notReady: return "NOT READY"
        case .mediumError: return "MEDIUM ERROR"
        case .hardwareError: return "HARDWARE ERROR"
        case .illegalRequest: return "ILLEGAL REQUEST"
        case .unitAttention: return "UNIT ATTENTION"
        case .dataProtect: return "DATA PROTECT"
        case .blankCheck: return "BLANK CHECK"
        case .vendorSpecific: return "VENDOR SPECIFIC"
        case .copyAborted: return "COPY ABORTED"
        case .abortedCommand: return "ABORTED COMMAND"
        case .reserved0C: return "RESERVED (0Ch)"
        case .volumeOverflow: return "VOLUME OVERFLOW"
        case .miscompare: return "MISCOMPARE"
        case .completed: return "COMPLETED"
        }
    }
}

/// An additional sense code and qualifier pair.
public struct AdditionalSense: Sendable, Hashable {
    public var asc: UInt8
    public var ascq: UInt8
    public init(_ asc: UInt8, _ ascq: UInt8) { self.asc = asc; self.ascq = ascq }

    public static let noAdditionalSense = AdditionalSense(0x00, 0x00)
    public static let filemarkDetected = AdditionalSense(0x00, 0x01)
    public static let endOfPartitionDetected = AdditionalSense(0x00, 0x02)
    public static let beginningOfPartitionDetected = AdditionalSense(0x00, 0x04)
    public static let endOfDataDetected = AdditionalSense(0x00, 0x05)
    public static let becomingReady = AdditionalSense(0x04, 0x01)
    public static let operationInProgress = AdditionalSense(0x04, 0x07)
    public static let writeError = AdditionalSense(0x0C, 0x00)
    public static let unrecoveredReadError = AdditionalSense(0x11, 0x00)
    public static let invalidOperationCode = AdditionalSense(0x20, 0x00)
    public static let invalidFieldInCDB = AdditionalSense(0x24, 0x00)
    public static let invalidFieldInParameterList = AdditionalSense(0x26, 0x00)
    public static let writeProtected = AdditionalSense(0x27, 0x00)
    public static let mediumMayHaveChanged = AdditionalSense(0x28, 0x00)
    public static let powerOnOrReset = AdditionalSense(0x29, 0x00)
    public static let incompatibleMedium = AdditionalSense(0x30, 0x00)
    public static let cleaningCartridgeInstalled = AdditionalSense(0x30, 0x03)
    public static let wormOverwriteAttempted = AdditionalSense(0x30, 0x0C)
    public static let formatCorrupted = AdditionalSense(0x31, 0x00)
    public static let mediumNotPresent = AdditionalSense(0x3A, 0x00)
    public static let destinationElementFull = AdditionalSense(0x3B, 0x0D)
    public static let sourceElementEmpty = AdditionalSense(0x3B, 0x0E)
    public static let writeAppendError = AdditionalSense(0x50, 0x00)
    public static let mediumRemovalPrevented = AdditionalSense(0x53, 0x02)
}
