/// The 4-byte header of every VPD page (SPC-4 table 456) and the page body it bounds.
public struct VPDPage: Sendable, Hashable {
    public var deviceType: PeripheralDeviceType
    public var pageCode: UInt8
    /// PAGE LENGTH bytes following the header (clipped to what was transferred).
    public var body: [UInt8]

    /// Parses a VPD page; throws when `expectedPage` is given and does not match.
    public init(parsing data: [UInt8], expectedPage: UInt8? = nil) throws(SCSIParseError) {
        var r = ByteReader(data, context: "VPD page")
        deviceType = PeripheralDeviceType(rawValue: try r.u8())
        pageCode = try r.u8()
        if let expectedPage, expectedPage != pageCode {
            throw SCSIParseError(.invalidField, "VPD page", offset: 1,
                                 "page \(hex(pageCode))h, expected \(hex(expectedPage))h")
        }
        let length = Int(try r.u16())
        // A page longer than the buffer was cut by the allocation length: that is truncation.
        body = try r.bytes(length)
    }
}

/// Supported VPD pages, page 00h (SPC-4 table 483).
public struct SupportedVPDPages: Sendable, Hashable {
    public var pages: [UInt8]
    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        pages = try VPDPage(parsing: data, expectedPage: 0x00).body
    }
}

/// Unit Serial Number, page 80h (SPC-4 table 484).
public struct UnitSerialNumber: Sendable, Hashable {
    /// PRODUCT SERIAL NUMBER, with leading and trailing spaces removed.
    public var serial: String

    public init(serial: String) { self.serial = serial }

    /// Encodes page 80h for a device of `deviceType`.
    public func encoded(deviceType: PeripheralDeviceType) -> [UInt8] {
        let b = Array(serial.utf8.prefix(255))
        return [deviceType.rawValue, 0x80, 0, UInt8(b.count)] + b
    }
    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        let body = try VPDPage(parsing: data, expectedPage: 0x80).body
        let trimmed = ByteReader.trimmedASCII(body)
        serial = String(trimmed.drop(while: { $0 == " " }))
    }
}

/// CODE SET of a designation descriptor (SPC-4 table 461).
public enum CodeSet: UInt8, Sendable, Hashable {
    case binary = 1, ascii = 2, utf8 = 3
}

/// DESIGNATOR TYPE (SPC-4 table 463).
public enum DesignatorType: UInt8, Sendable, Hashable {
    case vendorSpecific = 0, t10VendorID = 1, eui64 = 2, naa = 3, relativeTargetPort = 4,
         targetPortGroup = 5, logicalUnitGroup = 6, md5LogicalUnit = 7, scsiNameString = 8,
         protocolSpecificPortIdentifier = 9, uuid = 0xA
}

/// ASSOCIATION (SPC-4 table 462).
public enum DesignatorAssociation: UInt8, Sendable, Hashable {
    case logicalUnit = 0, targetPort = 1, targetDevice = 2, reserved = 3
}

/// One designation descriptor (SPC-4 table 460).
public struct DesignationDescriptor: Sendable, Hashable, CustomStringConvertible {
    public var protocolIdentifier: UInt8
    /// CODE SET raw value (1 binary, 2 ASCII, 3 UTF-8).
    public var codeSetValue: UInt8
    public var piv: Bool
    public var association: DesignatorAssociation
    /// DESIGNATOR TYPE raw value.
    public var typeValue: UInt8
    public var designator: [UInt8]

    public init(codeSet: CodeSet, type: DesignatorType, association: DesignatorAssociation = .logicalUnit,
                protocolIdentifier: UInt8 = 0, piv: Bool = false, designator: [UInt8]) {
        self.protocolIdentifier = protocolIdentifier
        self.codeSetValue = codeSet.rawValue
        self.piv = piv
        self.association = association
        self.typeValue = type.rawValue
        self.designator = designator
    }

    init(protocolIdentifier: UInt8, codeSetValue: UInt8, piv: Bool, association: DesignatorAssociation,
         typeValue: UInt8, designator: [UInt8]) {
        self.protocolIdentifier = protocolIdentifier
        self.codeSetValue = codeSetValue
        self.piv = piv
        self.association = association
        self.typeValue = typeValue
        self.designator = designator
    }

    /// The descriptor bytes (SPC-4 table 460).
    public var encoded: [UInt8] {
        [protocolIdentifier << 4 | codeSetValue & 0x0F,
         (piv ? 0x80 : 0) | association.rawValue << 4 | typeValue & 0x0F, 0,
         UInt8(truncatingIfNeeded: designator.count)] + designator.prefix(255)
    }

    public var codeSet: CodeSet? { CodeSet(rawValue: codeSetValue) }
    public var type: DesignatorType? { DesignatorType(rawValue: typeValue) }

    /// For T10 vendor id designators (type 1): the 8-byte vendor field.
    public var t10Vendor: String? {
        guard type == .t10VendorID, designator.count >= 8 else { return nil }
        return ByteReader.trimmedASCII(designator.prefix(8))
    }

    /// For T10 vendor id designators: the vendor specific identifier after the vendor field.
    public var t10VendorSpecific: String? {
        guard type == .t10VendorID, designator.count >= 8 else { return nil }
        return ByteReader.trimmedASCII(designator.dropFirst(8))
    }

    /// NAA field (high nibble of the first byte) for NAA designators (SPC-4 table 470).
    public var naaType: UInt8? {
        guard type == .naa, let first = designator.first else { return nil }
        return first >> 4
    }

    /// The designator as text: ASCII/UTF-8 code sets as text, binary ones as hex.
    public var text: String {
        switch codeSet {
        case .ascii?, .utf8?: return ByteReader.trimmedASCII(designator)
        default: return designator.map(hex).joined()
        }
    }

    public var description: String {
        switch type {
        case .t10VendorID?: return "t10." + text
        case .naa?: return "naa." + text
        case .eui64?: return "eui." + text
        default: return text
        }
    }
}

/// Device Identification, page 83h (SPC-4 table 459).
public struct DeviceIdentification: Sendable, Hashable {
    public var descriptors: [DesignationDescriptor]

    public init(descriptors: [DesignationDescriptor]) { self.descriptors = descriptors }

    /// Encodes page 83h for a device of `deviceType`.
    public func encoded(deviceType: PeripheralDeviceType) -> [UInt8] {
        let body = descriptors.flatMap(\.encoded)
        return [deviceType.rawValue, 0x83] + BigEndian.bytes(UInt64(body.count), count: 2) + body
    }

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        let body = try VPDPage(parsing: data, expectedPage: 0x83).body
        var r = ByteReader(body, context: "VPD 83h designation descriptor")
        var list: [DesignationDescriptor] = []
        while !r.isAtEnd {
            let b0 = try r.u8()
            let b1 = try r.u8()
            _ = try r.u8()
            let length = Int(try r.u8())
            let designator = try r.bytes(length)
            list.append(DesignationDescriptor(
                protocolIdentifier: b0 >> 4, codeSetValue: b0 & 0x0F, piv: b1 & 0x80 != 0,
                association: DesignatorAssociation(rawValue: (b1 >> 4) & 0x03) ?? .reserved,
                typeValue: b1 & 0x0F, designator: designator))
        }
        descriptors = list
    }

    /// Logical-unit designators only (association 0).
    public var logicalUnit: [DesignationDescriptor] {
        descriptors.filter { $0.association == .logicalUnit }
    }

    /// The preferred unique logical-unit name: NAA, then EUI-64, then T10 vendor id.
    public var preferredName: DesignationDescriptor? {
        let lu = logicalUnit
        return lu.first { $0.type == .naa } ?? lu.first { $0.type == .eui64 }
            ?? lu.first { $0.type == .t10VendorID }
    }
}
