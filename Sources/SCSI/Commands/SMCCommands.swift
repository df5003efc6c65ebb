// CDB builders for medium changer commands (SMC-3).

/// What an import/export element does after a MOVE MEDIUM that uses it
/// (EEPOS, MOVE MEDIUM byte 11 bits 7–6 as libraries that support it define it).
public enum ElementExtendPosition: UInt8, Sendable, Hashable {
    case noChange = 0
    /// Retract (close) the import/export element.
    case retract = 1
    /// Extend (open) the import/export element.
    case extend = 2
}

extension SCSICommand {
    /// INITIALIZE ELEMENT STATUS (SMC-3 table 8): 6-byte CDB, no data; inventories
    /// every element (minutes on a large library: the command class's 30 min timeout).
    public static func initializeElementStatus() -> SCSICommand {
        SCSICommand(cdb: [0x07, 0, 0, 0, 0, 0], timeout: CommandClass.initializeElementStatus.timeout)
    }

    /// INITIALIZE ELEMENT STATUS WITH RANGE (SMC-3 table 9): FAST byte 1 bit 1, RANGE
    /// bit 0; starting element address bytes 2–3; number of elements bytes 6–7.
    /// `operationCode` is 37h in SMC-3 (mhVTL accepts it at E7h).
    public static func initializeElementStatusWithRange(startingAddress: UInt16, count: UInt16,
                                                        fast: Bool = false, range: Bool = true,
                                                        operationCode: UInt8 = 0x37) -> SCSICommand {
        SCSICommand(cdb: [operationCode, (fast ? 0x02 : 0) | (range ? 0x01 : 0)]
                        + BigEndian.bytes(UInt64(startingAddress), count: 2) + [0, 0]
                        + BigEndian.bytes(UInt64(count), count: 2) + [0, 0],
                    timeout: CommandClass.initializeElementStatus.timeout)
    }

    /// MOVE MEDIUM (SMC-3 table 14): transport bytes 2–3, source 4–5, destination 6–7,
    /// INVERT byte 10 bit 0; EEPOS in byte 11 bits 7–6.
    public static func moveMedium(transport: UInt16, source: UInt16, destination: UInt16,
                                  invert: Bool = false,
                                  eepos: ElementExtendPosition = .noChange) -> SCSICommand {
        SCSICommand(cdb: [0xA5, 0] + BigEndian.bytes(UInt64(transport), count: 2)
                        + BigEndian.bytes(UInt64(source), count: 2)
                        + BigEndian.bytes(UInt64(destination), count: 2)
                        + [0, 0, invert ? 0x01 : 0, eepos.rawValue << 6])
    }

    /// EXCHANGE MEDIUM (SMC-3 table 6): transport bytes 2–3, source 4–5, first destination
    /// 6–7, second destination 8–9; INV2 byte 10 bit 1, INV1 bit 0.
    public static func exchangeMedium(transport: UInt16, source: UInt16, firstDestination: UInt16,
                                      secondDestination: UInt16, invert1: Bool = false,
                                      invert2: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0xA6, 0] + BigEndian.bytes(UInt64(transport), count: 2)
                        + BigEndian.bytes(UInt64(source), count: 2)
                        + BigEndian.bytes(UInt64(firstDestination), count: 2)
                        + BigEndian.bytes(UInt64(secondDestination), count: 2)
                        + [(invert2 ? 0x02 : 0) | (invert1 ? 0x01 : 0), 0])
    }

    /// READ ELEMENT STATUS (SMC-3 table 21): VOLTAG byte 1 bit 4, element type code bits
    /// 3–0; starting element address bytes 2–3; number of elements bytes 4–5; CURDATA byte 6
    /// bit 1, DVCID bit 0; allocation length bytes 7–9 (24 bits; use at most FFFFh for
    /// changers that read only two bytes).
    public static func readElementStatus(elementType: ElementType = .all, startingAddress: UInt16 = 0,
                                         count: UInt16 = 0xFFFF, volumeTag: Bool = true,
                                         curData: Bool = false, dvcid: Bool = false,
                                         allocationLength: UInt32 = 0xFFFF) -> SCSICommand {
        let length = min(allocationLength, 0xFF_FFFF)
        return SCSICommand(cdb: [0xB8, (volumeTag ? 0x10 : 0) | elementType.rawValue & 0x0F]
                                + BigEndian.bytes(UInt64(startingAddress), count: 2)
                                + BigEndian.bytes(UInt64(count), count: 2)
                                + [(curData ? 0x02 : 0) | (dvcid ? 0x01 : 0)]
                                + BigEndian.bytes(UInt64(length), count: 3) + [0, 0],
                           transfer: .fromDevice(allocationLength: Int(length)))
    }

    /// POSITION TO ELEMENT (SMC-3 table 17): transport bytes 2–3, destination 4–5,
    /// INVERT byte 8 bit 0. Shares opcode 2Bh with LOCATE(10), so the robot timeout is set.
    public static func positionToElement(transport: UInt16, destination: UInt16,
                                         invert: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x2B, 0] + BigEndian.bytes(UInt64(transport), count: 2)
                        + BigEndian.bytes(UInt64(destination), count: 2)
                        + [0, 0, invert ? 0x01 : 0, 0],
                    timeout: CommandClass.robot.timeout)
    }

    /// OPEN/CLOSE IMPORT EXPORT ELEMENT (SMC-3 table 12) with action code 00h (open):
    /// element address bytes 2–3, action code byte 4 bits 4–0.
    public static func openImportExportElement(address: UInt16) -> SCSICommand {
        importExportAction(address: address, action: 0x00)
    }

    /// OPEN/CLOSE IMPORT EXPORT ELEMENT with action code 01h (close).
    public static func closeImportExportElement(address: UInt16) -> SCSICommand {
        importExportAction(address: address, action: 0x01)
    }

    private static func importExportAction(address: UInt16, action: UInt8) -> SCSICommand {
        SCSICommand(cdb: [0x1B, 0] + BigEndian.bytes(UInt64(address), count: 2) + [action & 0x1F, 0],
                    timeout: CommandClass.robot.timeout)
    }
}
