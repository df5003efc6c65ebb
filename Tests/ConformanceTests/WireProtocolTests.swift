import Foundation
import HWSimServer
import SCSI
import Testing

/// The hwsim socket protocol's framing (hwsim/SERVER.md, "Frames").
@Suite("hwsim wire protocol")
struct WireProtocolTests {
    static let samples: [WireMessage] = [
        .execute(device: 2, command: SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0], transfer: .fromDevice(allocationLength: 36))),
        .execute(device: 1, command: SCSICommand(cdb: [0x0A, 0, 0, 0, 4, 0], transfer: .toDevice([1, 2, 3, 4]))),
        .execute(device: 0, command: SCSICommand(cdb: [0xA5, 0, 0, 1, 0x10, 0, 1, 0, 0, 0, 0, 0], timeout: .seconds(7))),
        .describe,
        .control(json: Array(#"{"op":"ping"}"#.utf8)),
        .result(SCSIResult(status: .checkCondition, data: [9, 8], sense: [0x70, 0, 5], residual: 34,
                           hostStatus: 0, driverStatus: 8), durationMilliseconds: 12),
        .devices([ServedDeviceInfo(peripheralType: 8, name: "changer"), ServedDeviceInfo(peripheralType: 1, name: "drive 0")]),
        .controlReply(json: Array(#"{"ok":true}"#.utf8)),
        .failure(code: "device-gone", message: "no device 9"),
    ]

    @Test("every message survives encode → decode", arguments: samples)
    func roundTrip(message: WireMessage) throws {
        #expect(try WireMessage.decode(payload: message.encodePayload()) == message)
    }

    @Test("an execute request has the documented byte layout")
    func executeLayout() {
        let frame = WireMessage.execute(
            device: 3, command: SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0], transfer: .fromDevice(allocationLength: 36),
                                            timeout: .seconds(30))).encodeFrame()
        // length(4) | type 01 | device 0003 | direction 02 (data-in) | timeout ms 30000 |
        // allocation length 36 | cdb length 6 | cdb
        #expect(frame == [0, 0, 0, 19, 0x01, 0x00, 0x03, 0x02, 0x00, 0x00, 0x75, 0x30,
                          0, 0, 0, 36, 6, 0x12, 0, 0, 0, 36, 0])
    }

    @Test("every truncation of a valid payload is rejected with an error", arguments: samples)
    func truncations(message: WireMessage) {
        let payload = message.encodePayload()
        for cut in 0..<payload.count {
            let prefix = Array(payload.prefix(cut))
            if case .control = message, cut > 0 { continue }       // JSON body has no length
            if case .controlReply = message, cut > 0 { continue }
            #expect(throws: WireError.self) { try WireMessage.decode(payload: prefix) }
        }
    }

    @Test("random payloads never trap")
    func randomPayloads() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<64, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = [0x01, 0x02, 0x81, 0x82, 0xFF].randomElement(using: &generator) ?? 1 }
            _ = try? WireMessage.decode(payload: bytes)
        }
    }

    @Test("hwsim device URLs", arguments: [
        ("hwsim:/run/hwsim.sock#0", "/run/hwsim.sock", UInt16(0)),
        ("hwsim:/tmp/a#b.sock#12", "/tmp/a#b.sock", 12),
    ])
    func deviceURL(url: String, socket: String, device: UInt16) throws {
        let transport = try makeHWSimTransport(url: url)
        #expect(transport.socketPath == socket)
        #expect(transport.device == device)
    }

    @Test("malformed hwsim URLs are invalid devices", arguments: ["sim:midsize", "hwsim:/tmp/x.sock", "hwsim:#1", "hwsim:/s#x"])
    func badURL(url: String) {
        #expect(throws: TransportError.self) { _ = try makeHWSimTransport(url: url) }
    }
}
