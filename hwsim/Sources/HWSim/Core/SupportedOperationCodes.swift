/// REPORT SUPPORTED OPERATION CODES (SPC-4 6.35; MAINTENANCE IN A3h, service action 0Ch).
enum SupportedOperationCodes {
    /// An operation code, its service actions (empty: none) and CDB length.
    struct Operation {
        var opcode: UInt8
        var serviceActions: [UInt16]
        var cdbLength: Int
    }

    static let changer: [Operation] = [
        .init(opcode: 0x00, serviceActions: [], cdbLength: 6), .init(opcode: 0x03, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x07, serviceActions: [], cdbLength: 6), .init(opcode: 0x12, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x15, serviceActions: [], cdbLength: 6), .init(opcode: 0x1A, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x1B, serviceActions: [], cdbLength: 6), .init(opcode: 0x1E, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x2B, serviceActions: [], cdbLength: 10), .init(opcode: 0x37, serviceActions: [], cdbLength: 10),
        .init(opcode: 0x4D, serviceActions: [], cdbLength: 10), .init(opcode: 0x55, serviceActions: [], cdbLength: 10),
        .init(opcode: 0x5A, serviceActions: [], cdbLength: 10), .init(opcode: 0xA0, serviceActions: [], cdbLength: 12),
        .init(opcode: 0xA3, serviceActions: [0x0C], cdbLength: 12), .init(opcode: 0xA5, serviceActions: [], cdbLength: 12),
        .init(opcode: 0xA6, serviceActions: [], cdbLength: 12), .init(opcode: 0xB8, serviceActions: [], cdbLength: 12),
    ]

    static let drive: [Operation] = [
        .init(opcode: 0x00, serviceActions: [], cdbLength: 6), .init(opcode: 0x01, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x03, serviceActions: [], cdbLength: 6), .init(opcode: 0x04, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x05, serviceActions: [], cdbLength: 6), .init(opcode: 0x08, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x0A, serviceActions: [], cdbLength: 6), .init(opcode: 0x0B, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x10, serviceActions: [], cdbLength: 6), .init(opcode: 0x11, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x12, serviceActions: [], cdbLength: 6), .init(opcode: 0x13, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x15, serviceActions: [], cdbLength: 6), .init(opcode: 0x19, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x1A, serviceActions: [], cdbLength: 6), .init(opcode: 0x1B, serviceActions: [], cdbLength: 6),
        .init(opcode: 0x1E, serviceActions: [], cdbLength: 6), .init(opcode: 0x2B, serviceActions: [], cdbLength: 10),
        .init(opcode: 0x34, serviceActions: [0x00, 0x01, 0x06, 0x08], cdbLength: 10),
        .init(opcode: 0x44, serviceActions: [], cdbLength: 10), .init(opcode: 0x4C, serviceActions: [], cdbLength: 10),
        .init(opcode: 0x4D, serviceActions: [], cdbLength: 10), .init(opcode: 0x55, serviceActions: [], cdbLength: 10),
        .init(opcode: 0x5A, serviceActions: [], cdbLength: 10), .init(opcode: 0x8C, serviceActions: [], cdbLength: 16),
        .init(opcode: 0x8D, serviceActions: [], cdbLength: 16), .init(opcode: 0x91, serviceActions: [], cdbLength: 16),
        .init(opcode: 0x92, serviceActions: [], cdbLength: 16), .init(opcode: 0xA0, serviceActions: [], cdbLength: 12),
        .init(opcode: 0xA2, serviceActions: [], cdbLength: 12), .init(opcode: 0xA3, serviceActions: [0x0C], cdbLength: 12),
    ]

    /// CDB (SPC-4 table 250): service action 0Ch in byte 1 bits 4–0, REPORTING OPTIONS bits 2–0
    /// of byte 2, requested opcode byte 3, requested service action 4–5, allocation length 6–9.
    static func report(_ cdb: CDB, _ operations: [Operation]) -> CommandReply {
        guard cdb[1] & 0x1F == 0x0C else { return .check(.invalidOpcode) }
        let allocation = cdb.u32(6)
        var b = ResponseBuffer(capacity: 8 * operations.count + 4)
        switch cdb[2] & 0x07 {
        case 0:
            // All commands (SPC-4 tables 251, 252): 8-byte descriptors.
            b.u32(0)
            for op in operations {
                for sa in op.serviceActions.isEmpty ? [nil] : op.serviceActions.map(Optional.some) {
                    b.u8(op.opcode); b.u8(0); b.u16(Int(sa ?? 0)); b.u8(0)
                    b.u8(sa == nil ? 0 : 0x01)  // SERVACTV
                    b.u16(op.cdbLength)
                }
            }
            b.set32(0, b.count - 4)
        case 1, 2:
            // One command (SPC-4 table 253): SUPPORT 011b with a CDB usage map, or 001b.
            let wanted = cdb[3]
            let action = UInt16(cdb.u16(4))
            let byServiceAction = cdb[2] & 0x07 == 2
            let match = operations.first { op in
                op.opcode == wanted && (byServiceAction ? op.serviceActions.contains(action) : op.serviceActions.isEmpty)
            }
            if let op = match {
                b.u8(0); b.u8(0x03); b.u16(op.cdbLength)
                b.u8(op.opcode)
                for _ in 1..<op.cdbLength { b.u8(0xFF) }
            } else {
                b.u8(0); b.u8(0x01); b.u16(0)
            }
        default:
            return .check(.invalidField(cdbByte: 2))
        }
        return .good(b.bytes.truncated(to: allocation))
    }
}
