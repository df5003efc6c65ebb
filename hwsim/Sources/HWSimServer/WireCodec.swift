import SCSI

extension WireMessage {
    /// The payload (without the 4-byte length prefix).
    public func encodePayload() -> [UInt8] {
        var out: [UInt8] = [typeCode.rawValue]
        switch self {
        case .execute(let device, let command):
            out.append(contentsOf: BigEndian.bytes(UInt64(device), count: 2))
            let direction: Direction
            var dataOut: [UInt8] = []
            var length = 0
            switch command.transfer {
            case .none: direction = .none
            case .toDevice(let bytes):
                direction = .toDevice
                dataOut = bytes
                length = bytes.count
            case .toDeviceInPlace(let bytes):
                direction = .toDevice
                dataOut = bytes.copied()
                length = bytes.count
            case .fromDevice(let n):
                direction = .fromDevice
                length = max(0, n)
            }
            out.append(direction.rawValue)
            let ms = command.timeout.components.seconds * 1000
                + command.timeout.components.attoseconds / 1_000_000_000_000_000
            out.append(contentsOf: BigEndian.bytes(UInt64(clamping: max(0, ms)), count: 4))
            out.append(contentsOf: BigEndian.bytes(UInt64(length), count: 4))
            out.append(UInt8(clamping: command.cdb.count))
            out.append(contentsOf: command.cdb.prefix(255))
            out.append(contentsOf: dataOut)
        case .describe:
            break
        case .control(let json), .controlReply(let json):
            out.append(contentsOf: json)
        case .result(let result, let duration):
            out.append(result.status.rawValue)
            out.append(contentsOf: BigEndian.bytes(UInt64(result.hostStatus), count: 2))
            out.append(contentsOf: BigEndian.bytes(UInt64(result.driverStatus), count: 2))
            out.append(contentsOf: BigEndian.bytes(UInt64(clamping: max(0, result.residual)), count: 4))
            out.append(contentsOf: BigEndian.bytes(UInt64(duration), count: 4))
            let sense = result.sense.prefix(255)
            out.append(UInt8(sense.count))
            out.append(contentsOf: sense)
            out.append(contentsOf: BigEndian.bytes(UInt64(result.data.count), count: 4))
            out.append(contentsOf: result.data)
        case .devices(let devices):
            out.append(contentsOf: BigEndian.bytes(UInt64(devices.count), count: 2))
            for device in devices {
                out.append(device.peripheralType)
                appendString(device.name, to: &out)
            }
        case .failure(let code, let message):
            appendString(code, to: &out)
            appendString(message, to: &out)
        }
        return out
    }

    /// The frame: length prefix and payload.
    public func encodeFrame() -> [UInt8] {
        let payload = encodePayload()
        return BigEndian.bytes(UInt64(payload.count), count: 4) + payload
    }

    /// Decodes one payload; any truncated or inconsistent payload throws.
    public static func decode(payload: [UInt8]) throws(WireError) -> WireMessage {
        var reader = ByteReader(payload, context: "hwsim frame")
        do {
            let rawType = try reader.u8()
            guard let type = TypeCode(rawValue: rawType) else {
                throw WireError("unknown message type 0x\(String(rawType, radix: 16))")
            }
            switch type {
            case .execute:
                let device = try reader.u16()
                let rawDirection = try reader.u8()
                let timeoutMs = try reader.u32()
                let length = Int(try reader.u32())
                let cdbLength = Int(try reader.u8())
                guard cdbLength > 0 else { throw WireError("empty CDB") }
                let cdb = try reader.bytes(cdbLength)
                let transfer: DataTransfer
                switch Direction(rawValue: rawDirection) {
                case .none?: transfer = .none
                case .toDevice?: transfer = .toDevice(try reader.bytes(length))
                case .fromDevice?:
                    guard length <= maximumPayload else { throw WireError("allocation length \(length) too large") }
                    transfer = .fromDevice(allocationLength: length)
                case nil: throw WireError("unknown direction \(rawDirection)")
                }
                try expectEnd(reader)
                let timeout: Duration = timeoutMs == 0 ? CommandClass(cdb: cdb).timeout : .milliseconds(Int64(timeoutMs))
                return .execute(device: device, command: SCSICommand(cdb: cdb, transfer: transfer, timeout: timeout))
            case .describe:
                try expectEnd(reader)
                return .describe
            case .control:
                return .control(json: try reader.bytes(reader.remaining))
            case .controlReply:
                return .controlReply(json: try reader.bytes(reader.remaining))
            case .result:
                let status = try reader.u8()
                let host = try reader.u16()
                let driver = try reader.u16()
                let residual = Int(try reader.u32())
                let duration = try reader.u32()
                let senseLength = Int(try reader.u8())
                let sense = try reader.bytes(senseLength)
                let dataLength = Int(try reader.u32())
                let data = try reader.bytes(dataLength)
                try expectEnd(reader)
                return .result(SCSIResult(status: SCSIStatus(rawValue: status), data: data, sense: sense,
                                          residual: residual, hostStatus: host, driverStatus: driver),
                               durationMilliseconds: duration)
            case .devices:
                let count = Int(try reader.u16())
                var devices: [ServedDeviceInfo] = []
                for _ in 0..<count {
                    let type = try reader.u8()
                    devices.append(ServedDeviceInfo(peripheralType: type, name: try readString(&reader)))
                }
                try expectEnd(reader)
                return .devices(devices)
            case .failure:
                let code = try readString(&reader)
                let message = try readString(&reader)
                try expectEnd(reader)
                return .failure(code: code, message: message)
            }
        } catch let error as SCSIParseError {
            throw WireError("malformed frame: \(error)")
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("malformed frame: \(error)")
        }
    }

    private static func expectEnd(_ reader: ByteReader) throws(WireError) {
        if !reader.isAtEnd { throw WireError("\(reader.remaining) unexpected trailing bytes") }
    }

    private static func readString(_ reader: inout ByteReader) throws(SCSIParseError) -> String {
        let length = Int(try reader.u16())
        return String(decoding: try reader.bytes(length), as: UTF8.self)
    }

    private func appendString(_ string: String, to out: inout [UInt8]) {
        let bytes = Array(string.utf8.prefix(0xFFFF))
        out.append(contentsOf: BigEndian.bytes(UInt64(bytes.count), count: 2))
        out.append(contentsOf: bytes)
    }
}
