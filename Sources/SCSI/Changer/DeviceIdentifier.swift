/// The identification descriptor a changer returns for a data transfer element when DVCID
/// is set (SMC-3 6.11.4, same layout as an SPC-4 designation descriptor).
///
/// Two layouts are seen in the field: code set 2 / type 0 with the drive serial only
/// (Quantum Superloader3), and code set 2 / type 1 with 34 bytes: T10 vendor (8),
/// product (16), serial (10).
public struct DeviceIdentifier: Sendable, Hashable, Codable, CustomStringConvertible {
    /// CODE SET (1 binary, 2 ASCII, 3 UTF-8).
    public var codeSet: UInt8
    /// IDENTIFIER TYPE (0 vendor specific, 1 T10 vendor id, 2 EUI-64, 3 NAA …).
    public var identifierType: UInt8
    public var identifier: [UInt8]

    public init(codeSet: UInt8, identifierType: UInt8, identifier: [UInt8]) {
        self.codeSet = codeSet
        self.identifierType = identifierType
        self.identifier = identifier
    }

    private var isText: Bool { codeSet == 2 || codeSet == 3 }

    /// T10 vendor (type 1 layout only).
    public var vendor: String? {
        guard isText, identifierType == 1, identifier.count >= 8 else { return nil }
        return ByteReader.trimmedASCII(identifier.prefix(8))
    }

    /// Product identification (type 1 layout only).
    public var product: String? {
        guard isText, identifierType == 1, identifier.count >= 24 else { return nil }
        return ByteReader.trimmedASCII(identifier[8..<24])
    }

    /// The drive serial number: all of a type-0 ASCII identifier, or what follows vendor and
    /// product in a type-1 identifier. Nil for binary identifiers.
    public var serial: String? {
        guard isText else { return nil }
        let raw: ArraySlice<UInt8>
        switch identifierType {
        case 0: raw = identifier[...]
        case 1: raw = identifier.count > 24 ? identifier[24...] : (identifier.count > 8 ? identifier[8...] : [])
        default: raw = identifier[...]
        }
        let s = String(ByteReader.trimmedASCII(raw).drop(while: { $0 == " " }))
        return s.isEmpty ? nil : s
    }

    public var description: String {
        if let serial {
            if let vendor, let product { return "\(vendor) \(product) \(serial)" }
            return serial
        }
        return identifier.map(hex).joined()
    }
}
