/// A control request (message 0x03), JSON on the wire, e.g.
/// `{"op":"tapealert","device":1,"args":{"flags":"20,31"}}`. See hwsim/SERVER.md for the ops.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var op: String
    public var device: Int?
    public var args: [String: String]?
    public init(op: String, device: Int? = nil, args: [String: String]? = nil) {
        self.op = op
        self.device = device
        self.args = args
    }
    public func arg(_ name: String) -> String? { args?[name] }
}

/// The answer to a control request (message 0x83).
public struct ControlReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var message: String?
    public var values: [String: String]?
    public init(ok: Bool, message: String? = nil, values: [String: String]? = nil) {
        self.ok = ok
        self.message = message
        self.values = values
    }
    public static func failed(_ message: String) -> ControlReply { ControlReply(ok: false, message: message) }
}

/// What the simulator behind the server does with control requests the server does not
/// handle itself (fault injection, virtual clock, state snapshots).
public protocol HWSimControlHandler: Sendable {
    func handle(_ request: ControlRequest) async -> ControlReply
}

/// A device the server serves: device 0 is the changer, 1… the drives in element order.
public struct ServedDevice: Sendable {
    public var info: ServedDeviceInfo
    public var transport: any SCSITransport
    public init(info: ServedDeviceInfo, transport: any SCSITransport) {
        self.info = info
        self.transport = transport
    }
}

import SCSI
