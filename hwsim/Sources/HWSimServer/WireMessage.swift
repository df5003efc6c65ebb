import SCSI

/// The hwsim socket protocol (hwsim/SERVER.md): length-prefixed frames over a Unix stream
/// socket. Every frame is a 4-byte big-endian payload length, then the payload; the payload's
/// first byte is the message type. Integers are big-endian.
public enum WireMessage: Sendable, Equatable {
    /// 0x01: run a CDB on device `device` (0 = changer, 1… = drives in element order).
    case execute(device: UInt16, command: SCSICommand)
    /// 0x02: list the served devices.
    case describe
    /// 0x03: a control request (fault injection, virtual clock, …) as UTF-8 JSON.
    case control(json: [UInt8])

    /// 0x81: the outcome of an `execute`.
    case result(SCSIResult, durationMilliseconds: UInt32)
    /// 0x82: the answer to `describe`.
    case devices([ServedDeviceInfo])
    /// 0x83: the answer to `control`, UTF-8 JSON.
    case controlReply(json: [UInt8])
    /// 0xFF: the request could not be run (transport error, bad request).
    case failure(code: String, message: String)

    public enum TypeCode: UInt8, Sendable {
        case execute = 0x01, describe = 0x02, control = 0x03
        case result = 0x81, devices = 0x82, controlReply = 0x83, failure = 0xFF
    }

    /// Direction codes on the wire.
    enum Direction: UInt8 { case none = 0, toDevice = 1, fromDevice = 2 }

    /// Frames larger than this are refused (a WRITE of one 16 MiB LTO block plus headers fits).
    public static let maximumPayload = 64 << 20

    public var typeCode: TypeCode {
        switch self {
        case .execute: return .execute
        case .describe: return .describe
        case .control: return .control
        case .result: return .result
        case .devices: return .devices
        case .controlReply: return .controlReply
        case .failure: return .failure
        }
    }
}

/// What `describe` reports for one device.
public struct ServedDeviceInfo: Sendable, Equatable {
    /// SPC peripheral device type: 08h medium changer, 01h sequential-access (tape).
    public var peripheralType: UInt8
    public var name: String
    public init(peripheralType: UInt8, name: String) {
        self.peripheralType = peripheralType
        self.name = name
    }
}

/// A malformed frame or payload.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
