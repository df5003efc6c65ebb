/// LTO density codes (scsi-reference.md, "LTO generations") to generations.
public enum LTODensity {
    public static func generation(densityCode: UInt8) -> Int? {
        switch densityCode {
        case 0x40: return 1
        case 0x42: return 2
        case 0x44: return 3
        case 0x46: return 4
        case 0x58: return 5
        case 0x5A: return 6
        case 0x5C: return 7
        case 0x5D, 0x5E: return 8   // 5Dh: LTO-7 media formatted as M8 in an LTO-8 drive.
        case 0x60: return 9
        case 0x62, 0x63: return 10
        default: return nil
        }
    }
}
