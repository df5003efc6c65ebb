/// PERIPHERAL DEVICE TYPE (SPC-4 table 141), the low 5 bits of INQUIRY byte 0.
public struct PeripheralDeviceType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x1F }

    public static let directAccess = PeripheralDeviceType(rawValue: 0x00)
    public static let sequentialAccess = PeripheralDeviceType(rawValue: 0x01)
    public static let processor = PeripheralDeviceType(rawValue: 0x03)
    public static let cdDVD = PeripheralDeviceType(rawValue: 0x05)
    public static let mediumChanger = PeripheralDeviceType(rawValue: 0x08)
    public static let storageArrayController = PeripheralDeviceType(rawValue: 0x0C)
    public static let enclosureServices = PeripheralDeviceType(rawValue: 0x0D)
    public static let unknown = PeripheralDeviceType(rawValue: 0x1F)

    public var description: String {
        switch self {
        case .directAccess: return "disk"
        case .sequentialAccess: return "tape"
        case .processor: return "processor"
        case .cdDVD: return "cd/dvd"
        case .mediumChanger: return "medium changer"
        case .storageArrayController: return "storage array controller"
        case .enclosureServices: return "enclosure services"
        case .unknown: return "unknown"
        default: return "device type \(hex(rawValue))h"
        }
    }
}
