/// One command descriptor of REPORT SUPPORTED OPERATION CODES with reporting options 000b
/// (SPC-4 tables 258 and 259): opcode (0), service action (2–3), SERVACTV / CTDP flags (5),
/// CDB length (6–7), then a 12-byte command timeouts descriptor when CTDP is set
/// (SPC-4 table 261: nominal and recommended timeouts in seconds at bytes 4–7 and 8–11).
public struct SupportedCommand: Sendable, Hashable {
    public var operationCode: UInt8
    /// The service action, when the command has one (SERVACTV).
    public var serviceAction: UInt16?
    public var cdbLength: UInt16
    /// Nominal and recommended command timeouts in seconds (when RCTD was set).
    public var nominalTimeout: UInt32?
    public var recommendedTimeout: UInt32?
}

/// REPORT SUPPORTED OPERATION CODES data for "all commands" (SPC-4 table 257):
/// COMMAND DATA LENGTH (4), then command descriptors.
public struct SupportedOperationCodes: Sendable, Hashable {
    public var commands: [SupportedCommand]

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "REPORT SUPPORTED OPERATION CODES data")
        let length = Int(try r.u32())
        // Cut by the allocation length: use the complete descriptors only.
        var body = try r.sub(min(length, r.remaining))
        var list: [SupportedCommand] = []
        while body.remaining >= 8 {
            let op = try body.u8()
            try body.skip(1)
            let sa = try body.u16()
            try body.skip(1)
            let flags = try body.u8()
            let cdbLength = try body.u16()
            var command = SupportedCommand(operationCode: op, serviceAction: flags & 0x01 != 0 ? sa : nil,
                                           cdbLength: cdbLength, nominalTimeout: nil, recommendedTimeout: nil)
            if flags & 0x02 != 0 {
                guard body.remaining >= 12 else { break }
                let descriptorLength = try body.u16()
                guard descriptorLength == 0x0A else {
                    throw SCSIParseError(.invalidField, body.context, offset: body.offset - 2,
                                         "timeouts descriptor length \(descriptorLength)")
                }
                try body.skip(2)
                command.nominalTimeout = try body.u32()
                command.recommendedTimeout = try body.u32()
            }
            list.append(command)
        }
        commands = list
    }

    /// Whether `opcode` (with `serviceAction`, if given) is supported.
    public func supports(_ opcode: UInt8, serviceAction: UInt16? = nil) -> Bool {
        commands.contains { $0.operationCode == opcode && (serviceAction == nil || $0.serviceAction == serviceAction) }
    }
}
