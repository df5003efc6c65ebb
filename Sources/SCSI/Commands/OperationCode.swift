/// Operation codes used by tapelib (SPC-4 annex D.3.1, SMC-3 table 2, SSC-4 table 10).
public enum OperationCode {
    public static let testUnitReady: UInt8 = 0x00
    public static let rewind: UInt8 = 0x01
    public static let requestSense: UInt8 = 0x03
    public static let formatMedium: UInt8 = 0x04
    public static let readBlockLimits: UInt8 = 0x05
    public static let initializeElementStatus: UInt8 = 0x07
    public static let read6: UInt8 = 0x08
    public static let write6: UInt8 = 0x0A
    public static let setCapacity: UInt8 = 0x0B
    public static let writeFilemarks6: UInt8 = 0x10
    public static let space6: UInt8 = 0x11
    public static let inquiry: UInt8 = 0x12
    public static let verify6: UInt8 = 0x13
    public static let modeSelect6: UInt8 = 0x15
    public static let erase6: UInt8 = 0x19
    public static let modeSense6: UInt8 = 0x1A
    /// LOAD UNLOAD on a drive; OPEN/CLOSE IMPORT EXPORT ELEMENT on a changer.
    public static let loadUnload: UInt8 = 0x1B
    public static let openCloseImportExportElement: UInt8 = 0x1B
    public static let preventAllowMediumRemoval: UInt8 = 0x1E
    /// LOCATE(10) on a drive; POSITION TO ELEMENT on a changer.
    public static let locate10: UInt8 = 0x2B
    public static let positionToElement: UInt8 = 0x2B
    public static let readPosition: UInt8 = 0x34
    public static let initializeElementStatusWithRange: UInt8 = 0x37
    public static let reportDensitySupport: UInt8 = 0x44
    public static let logSelect: UInt8 = 0x4C
    public static let logSense: UInt8 = 0x4D
    public static let modeSelect10: UInt8 = 0x55
    public static let modeSense10: UInt8 = 0x5A
    public static let readAttribute: UInt8 = 0x8C
    public static let writeAttribute: UInt8 = 0x8D
    public static let space16: UInt8 = 0x91
    public static let locate16: UInt8 = 0x92
    public static let reportLUNs: UInt8 = 0xA0
    public static let securityProtocolIn: UInt8 = 0xA2
    public static let maintenanceIn: UInt8 = 0xA3
    public static let moveMedium: UInt8 = 0xA5
    public static let exchangeMedium: UInt8 = 0xA6
    public static let securityProtocolOut: UInt8 = 0xB5
    public static let readElementStatus: UInt8 = 0xB8

    /// A readable command name for messages. Opcodes shared by changer and drive
    /// (1Bh, 2Bh) are named for both.
    public static func name(_ op: UInt8) -> String {
        switch op {
        case 0x00: return "TEST UNIT READY"
        case 0x01: return "REWIND"
        case 0x03: return "REQUEST SENSE"
        case 0x04: return "FORMAT MEDIUM"
        case 0x05: return "READ BLOCK LIMITS"
        case 0x07: return "INITIALIZE ELEMENT STATUS"
        case 0x08: return "READ(6)"
        case 0x0A: return "WRITE(6)"
        case 0x0B: return "SET CAPACITY"
        case 0x10: return "WRITE FILEMARKS(6)"
        case 0x11: return "SPACE(6)"
        case 0x12: return "INQUIRY"
        case 0x13: return "VERIFY(6)"
        case 0x15: return "MODE SELECT(6)"
        case 0x19: return "ERASE"
        case 0x1A: return "MODE SENSE(6)"
        case 0x1B: return "LOAD UNLOAD / OPEN-CLOSE IMPORT EXPORT ELEMENT"
        case 0x1E: return "PREVENT ALLOW MEDIUM REMOVAL"
        case 0x2B: return "LOCATE(10) / POSITION TO ELEMENT"
        case 0x34: return "READ POSITION"
        case 0x37, 0xE7: return "INITIALIZE ELEMENT STATUS WITH RANGE"
        case 0x44: return "REPORT DENSITY SUPPORT"
        case 0x4C: return "LOG SELECT"
        case 0x4D: return "LOG SENSE"
        case 0x55: return "MODE SELECT(10)"
        case 0x5A: return "MODE SENSE(10)"
        case 0x8C: return "READ ATTRIBUTE"
        case 0x8D: return "WRITE ATTRIBUTE"
        case 0x91: return "SPACE(16)"
        case 0x92: return "LOCATE(16)"
        case 0xA0: return "REPORT LUNS"
        case 0xA2: return "SECURITY PROTOCOL IN"
        case 0xA3: return "REPORT SUPPORTED OPERATION CODES"
        case 0xA5: return "MOVE MEDIUM"
        case 0xA6: return "EXCHANGE MEDIUM"
        case 0xB5: return "SECURITY PROTOCOL OUT"
        case 0xB8: return "READ ELEMENT STATUS"
        default: return "opcode " + hex(op) + "h"
        }
    }
}
