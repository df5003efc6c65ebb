// CDB builders for the primary commands (SPC-4) tape drives and changers share.

/// PAGE CONTROL of MODE SENSE (SPC-4 table 97).
public enum ModePageControl: UInt8, Sendable, Hashable {
    case current = 0, changeable = 1, defaults = 2, saved = 3
}

/// PAGE CONTROL of LOG SENSE / LOG SELECT (SPC-4 table 119).
public enum LogPageControl: UInt8, Sendable, Hashable {
    case thresholdCurrent = 0, cumulativeCurrent = 1, thresholdDefault = 2, cumulativeDefault = 3
}

/// READ ATTRIBUTE service actions (SPC-4 table 133).
public enum ReadAttributeServiceAction: UInt8, Sendable, Hashable {
    case attributeValues = 0x00
    case attributeList = 0x01
    case logicalVolumeList = 0x02
    case partitionList = 0x03
    case supportedAttributes = 0x05
}

extension SCSICommand {
    /// TEST UNIT READY (SPC-4 table 182): 6-byte CDB, no data.
    public static func testUnitReady() -> SCSICommand {
        SCSICommand(cdb: [0x00, 0, 0, 0, 0, 0])
    }

    /// REQUEST SENSE (SPC-4 table 166). `descriptorFormat` sets DESC (byte 1 bit 0).
    public static func requestSense(allocationLength: UInt8 = 252,
                                    descriptorFormat: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x03, descriptorFormat ? 0x01 : 0, 0, 0, allocationLength, 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// INQUIRY (SPC-4 table 142): EVPD byte 1 bit 0, page code byte 2,
    /// allocation length bytes 3–4.
    public static func inquiry(evpd: Bool = false, page: UInt8 = 0,
                               allocationLength: UInt16 = 255) -> SCSICommand {
        SCSICommand(cdb: [0x12, evpd ? 0x01 : 0, evpd ? page : 0]
                        + BigEndian.bytes(UInt64(allocationLength), count: 2) + [0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// MODE SENSE(6) (SPC-4 table 98): DBD byte 1 bit 3; PC byte 2 bits 7–6, page code
    /// bits 5–0; subpage byte 3; allocation length byte 4.
    public static func modeSense6(page: UInt8, subpage: UInt8 = 0, dbd: Bool = false,
                                  pageControl: ModePageControl = .current,
                                  allocationLength: UInt8 = 255) -> SCSICommand {
        SCSICommand(cdb: [0x1A, dbd ? 0x08 : 0, pageControl.rawValue << 6 | page & 0x3F,
                          subpage, allocationLength, 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// MODE SENSE(10) (SPC-4 table 100): LLBAA byte 1 bit 4, DBD bit 3; PC/page byte 2;
    /// subpage byte 3; allocation length bytes 7–8.
    public static func modeSense10(page: UInt8, subpage: UInt8 = 0, dbd: Bool = false,
                                   pageControl: ModePageControl = .current, llbaa: Bool = false,
                                   allocationLength: UInt16 = 0x1000) -> SCSICommand {
        let b1: UInt8 = (llbaa ? 0x10 : 0) | (dbd ? 0x08 : 0)
        return SCSICommand(cdb: [0x5A, b1, pageControl.rawValue << 6 | page & 0x3F, subpage, 0, 0, 0]
                                + BigEndian.bytes(UInt64(allocationLength), count: 2) + [0],
                           transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// MODE SELECT(6) (SPC-4 table 94): PF byte 1 bit 4, SP bit 0; parameter list length
    /// byte 4. `parameters` is a complete parameter list (header, descriptors, pages),
    /// see `ModeParameterList`.
    public static func modeSelect6(parameters: [UInt8], pf: Bool = true, sp: Bool = false) -> SCSICommand {
        let b1: UInt8 = (pf ? 0x10 : 0) | (sp ? 0x01 : 0)
        return SCSICommand(cdb: [0x15, b1, 0, 0, UInt8(truncatingIfNeeded: parameters.count), 0],
                           transfer: .toDevice(parameters))
    }

    /// MODE SELECT(10) (SPC-4 table 96): PF byte 1 bit 4, SP bit 0; parameter list length
    /// bytes 7–8.
    public static func modeSelect10(parameters: [UInt8], pf: Bool = true, sp: Bool = false) -> SCSICommand {
        let b1: UInt8 = (pf ? 0x10 : 0) | (sp ? 0x01 : 0)
        return SCSICommand(cdb: [0x55, b1, 0, 0, 0, 0, 0]
                                + BigEndian.bytes(UInt64(parameters.count), count: 2) + [0],
                           transfer: .toDevice(parameters))
    }

    /// LOG SENSE (SPC-4 table 118): PPC byte 1 bit 1 (SP bit 0 obsolete here);
    /// PC byte 2 bits 7–6, page code bits 5–0; subpage byte 3; parameter pointer bytes 5–6;
    /// allocation length bytes 7–8.
    public static func logSense(page: UInt8, subpage: UInt8 = 0, ppc: Bool = false,
                                pc: LogPageControl = .cumulativeCurrent,
                                parameterPointer: UInt16 = 0,
                                allocationLength: UInt16 = 0xFFFF) -> SCSICommand {
        SCSICommand(cdb: [0x4D, ppc ? 0x02 : 0, pc.rawValue << 6 | page & 0x3F, subpage, 0]
                        + BigEndian.bytes(UInt64(parameterPointer), count: 2)
                        + BigEndian.bytes(UInt64(allocationLength), count: 2) + [0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// LOG SELECT (SPC-4 table 115): PCR byte 1 bit 1 (reset parameters), SP bit 0;
    /// PC/page byte 2; subpage byte 3; parameter list length bytes 7–8.
    public static func logSelect(page: UInt8 = 0, subpage: UInt8 = 0, parameters: [UInt8] = [],
                                 pcr: Bool = false, sp: Bool = false,
                                 pc: LogPageControl = .cumulativeCurrent) -> SCSICommand {
        let b1: UInt8 = (pcr ? 0x02 : 0) | (sp ? 0x01 : 0)
        return SCSICommand(cdb: [0x4C, b1, pc.rawValue << 6 | page & 0x3F, subpage, 0, 0, 0]
                                + BigEndian.bytes(UInt64(parameters.count), count: 2) + [0],
                           transfer: parameters.isEmpty ? .none : .toDevice(parameters))
    }

    /// READ ATTRIBUTE (SPC-4 table 132): service action byte 1 bits 4–0; logical volume
    /// number byte 5; partition number byte 7; first attribute identifier bytes 8–9;
    /// allocation length bytes 10–13; CACHE byte 14 bit 0.
    public static func readAttribute(serviceAction: ReadAttributeServiceAction = .attributeValues,
                                     partition: UInt8 = 0, firstAttribute: UInt16 = 0,
                                     allocationLength: UInt32 = 0x1_0000,
                                     volume: UInt8 = 0, cache: Bool = false) -> SCSICommand {
        SCSICommand(cdb: [0x8C, serviceAction.rawValue & 0x1F, 0, 0, 0, volume, 0, partition]
                        + BigEndian.bytes(UInt64(firstAttribute), count: 2)
                        + BigEndian.bytes(UInt64(allocationLength), count: 4)
                        + [cache ? 0x01 : 0, 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// WRITE ATTRIBUTE (SPC-4 table 186): WTC byte 1 bit 0; logical volume byte 5;
    /// partition byte 7; parameter list length bytes 10–13. `parameters` is a full
    /// parameter list, see `AttributeList.parameterList(_:)`.
    public static func writeAttribute(parameters: [UInt8], writeThrough: Bool = false,
                                      partition: UInt8 = 0, volume: UInt8 = 0) -> SCSICommand {
        SCSICommand(cdb: [0x8D, writeThrough ? 0x01 : 0, 0, 0, 0, volume, 0, partition, 0, 0]
                        + BigEndian.bytes(UInt64(parameters.count), count: 4) + [0, 0],
                    transfer: .toDevice(parameters))
    }

    /// REPORT LUNS (SPC-4 table 162): SELECT REPORT byte 2; allocation length bytes 6–9.
    public static func reportLUNs(selectReport: UInt8 = 0, allocationLength: UInt32 = 4096) -> SCSICommand {
        SCSICommand(cdb: [0xA0, 0, selectReport, 0, 0, 0]
                        + BigEndian.bytes(UInt64(allocationLength), count: 4) + [0, 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// REPORT SUPPORTED OPERATION CODES (SPC-4 table 256): MAINTENANCE IN A3h with service
    /// action 0Ch; RCTD byte 2 bit 7, REPORTING OPTIONS bits 2–0; requested operation code
    /// byte 3; requested service action bytes 4–5; allocation length bytes 6–9.
    public static func reportSupportedOperationCodes(reportingOptions: UInt8 = 0,
                                                     requestedOpcode: UInt8 = 0,
                                                     requestedServiceAction: UInt16 = 0,
                                                     rctd: Bool = false,
                                                     allocationLength: UInt32 = 0x2000) -> SCSICommand {
        SCSICommand(cdb: [0xA3, 0x0C, (rctd ? 0x80 : 0) | reportingOptions & 0x07, requestedOpcode]
                        + BigEndian.bytes(UInt64(requestedServiceAction), count: 2)
                        + BigEndian.bytes(UInt64(allocationLength), count: 4) + [0, 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// SECURITY PROTOCOL IN (SPC-4 table 174): protocol byte 1; protocol specific bytes 2–3;
    /// INC_512 byte 4 bit 7; allocation length bytes 6–9.
    public static func securityProtocolIn(protocol securityProtocol: UInt8, specific: UInt16,
                                          inc512: Bool = false,
                                          allocationLength: UInt32 = 0x2000) -> SCSICommand {
        SCSICommand(cdb: [0xA2, securityProtocol] + BigEndian.bytes(UInt64(specific), count: 2)
                        + [inc512 ? 0x80 : 0, 0]
                        + BigEndian.bytes(UInt64(allocationLength), count: 4) + [0, 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }

    /// SECURITY PROTOCOL OUT (SPC-4 table 176): protocol byte 1; protocol specific bytes
    /// 2–3; INC_512 byte 4 bit 7; transfer length bytes 6–9.
    public static func securityProtocolOut(protocol securityProtocol: UInt8, specific: UInt16,
                                           inc512: Bool = false, data: [UInt8]) -> SCSICommand {
        SCSICommand(cdb: [0xB5, securityProtocol] + BigEndian.bytes(UInt64(specific), count: 2)
                        + [inc512 ? 0x80 : 0, 0]
                        + BigEndian.bytes(UInt64(data.count), count: 4) + [0, 0],
                    transfer: .toDevice(data))
    }

    /// PREVENT ALLOW MEDIUM REMOVAL (SPC-4 table 10 / SMC-3 table 10 / SSC-4):
    /// PREVENT field byte 4 bits 1–0 (01b prevent, 00b allow).
    public static func preventAllowMediumRemoval(prevent: Bool) -> SCSICommand {
        SCSICommand(cdb: [0x1E, 0, 0, 0, prevent ? 0x01 : 0x00, 0])
    }
}
