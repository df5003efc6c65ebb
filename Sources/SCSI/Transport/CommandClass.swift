/// Timeout classes by command, from the field-observed table in scsi-reference.md
/// ("Timeouts by command class").
public enum CommandClass: Sendable, Hashable {
    case quick          // TEST UNIT READY, INQUIRY, REQUEST SENSE, READ POSITION, mode pages
    case logSense       // LOG SENSE: LTO-9 can need more than 60 s
    case robot          // MOVE MEDIUM, EXCHANGE, READ ELEMENT STATUS, POSITION TO ELEMENT
    case initializeElementStatus
    case loadUnload
    case rewind
    case locate         // LOCATE / SPACE can traverse a whole partition
    case format
    case eraseLong
    case readWrite
    case attribute

    public init(cdb: [UInt8]) {
        guard let op = cdb.first else { self = .quick; return }
        switch op {
        case 0x4D, 0x4C: self = .logSense
        case 0xA5, 0xA6, 0xB8: self = .robot
        case 0x07, 0x37, 0xE7: self = .initializeElementStatus
        case 0x1B: self = .loadUnload
        case 0x01: self = .rewind
        case 0x2B, 0x92, 0x11, 0x91: self = .locate
        case 0x04, 0x0B: self = .format
        case 0x19: self = .eraseLong
        case 0x08, 0x0A, 0x10, 0x13, 0x88, 0x8A: self = .readWrite
        case 0x8C, 0x8D: self = .attribute
        default: self = .quick
        }
    }

    public var timeout: Duration {
        switch self {
        case .quick: return .seconds(30)
        case .logSense: return .seconds(120)
        case .robot: return .seconds(300)
        case .initializeElementStatus: return .seconds(30 * 60)
        case .loadUnload: return .seconds(1_020)
        case .rewind: return .seconds(780)
        case .locate: return .seconds(2_400)
        case .format: return .seconds(3_000)
        // LTO-9 half height long erase ≈ 166,370 s; allow margin.
        case .eraseLong: return .seconds(180_000)
        case .readWrite: return .seconds(1_200)
        case .attribute: return .seconds(60)
        }
    }
}
