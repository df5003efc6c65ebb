/// Element Address Assignment mode page 1Dh of a medium changer (SMC-3 table 30).
public struct ElementAddressAssignmentPage: Sendable, Hashable {
    public static let code: UInt8 = 0x1D

    /// First element address and number of elements of one type.
    public struct Range: Sendable, Hashable {
        public var first: UInt16
        public var count: UInt16
        public init(first: UInt16, count: UInt16) { self.first = first; self.count = count }
        /// The addresses in this range (empty when count is 0; clipped at FFFFh).
        public var addresses: [UInt16] {
            guard count > 0 else { return [] }
            let last = min(UInt32(first) + UInt32(count) - 1, 0xFFFF)
            return (UInt32(first)...last).map { UInt16($0) }
        }
    }

    public var mediumTransport: Range
    public var storage: Range
    public var importExport: Range
    public var dataTransfer: Range

    public init(mediumTransport: Range, storage: Range, importExport: Range, dataTransfer: Range) {
        self.mediumTransport = mediumTransport
        self.storage = storage
        self.importExport = importExport
        self.dataTransfer = dataTransfer
    }

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 16, "Element Address Assignment mode page")
        var r = ByteReader(page.body, context: "Element Address Assignment mode page")
        mediumTransport = Range(first: try r.u16(), count: try r.u16())
        storage = Range(first: try r.u16(), count: try r.u16())
        importExport = Range(first: try r.u16(), count: try r.u16())
        dataTransfer = Range(first: try r.u16(), count: try r.u16())
    }

    public func range(of type: ElementType) -> Range? {
        switch type {
        case .mediumTransport: return mediumTransport
        case .storage: return storage
        case .importExport: return importExport
        case .dataTransfer: return dataTransfer
        case .all: return nil
        }
    }

    /// The element type whose range holds `address`.
    public func type(of address: UInt16) -> ElementType? {
        for t in [ElementType.mediumTransport, .storage, .importExport, .dataTransfer] {
            if let r = range(of: t), r.count > 0, address >= r.first,
               UInt32(address) < UInt32(r.first) + UInt32(r.count) { return t }
        }
        return nil
    }

    /// The page as a changer reports it (page length 12h).
    public var page: ModePage {
        let fields = [mediumTransport, storage, importExport, dataTransfer]
            .flatMap { BigEndian.bytes(UInt64($0.first), count: 2) + BigEndian.bytes(UInt64($0.count), count: 2) }
        return ModePage(code: Self.code, body: fields + [0, 0])
    }
}

/// Transport Geometry Parameters mode page 1Eh (SMC-3 table 33): per medium transport,
/// ROTATE (can invert media) and the member number in its transport element set.
public struct TransportGeometryPage: Sendable, Hashable {
    public static let code: UInt8 = 0x1E
    public struct Descriptor: Sendable, Hashable {
        public var rotate: Bool
        public var memberNumber: UInt8
    }
    public var transports: [Descriptor]

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 0, "Transport Geometry mode page")
        var list: [Descriptor] = []
        var i = 0
        while i + 1 < page.body.count {
            list.append(Descriptor(rotate: page.body[i] & 0x01 != 0, memberNumber: page.body[i + 1]))
            i += 2
        }
        transports = list
    }
}

/// Device Capabilities mode page 1Fh (SMC-3 table 31): which element types can store
/// media and which moves and exchanges between types are supported.
public struct DeviceCapabilitiesPage: Sendable, Hashable {
    public static let code: UInt8 = 0x1F
    /// Byte 2: STOR DT 08h, STOR I/E 04h, STOR ST 02h, STOR MT 01h.
    public var storageFlags: UInt8
    /// Bytes 4–7: move capabilities from MT, ST, I/E, DT; bytes 12–15: exchange capabilities.
    /// Each byte: →DT 08h, →I/E 04h, →ST 02h, →MT 01h.
    public var moveFlags: [UInt8]
    public var exchangeFlags: [UInt8]

    public init(_ page: ModePage) throws(SCSIParseError) {
        try page.require(code: Self.code, minimum: 14, "Device Capabilities mode page")
        let b = page.body
        storageFlags = b[0]
        moveFlags = Array(b[2..<6])
        exchangeFlags = Array(b[10..<14])
    }

    private static func bit(_ type: ElementType) -> UInt8? {
        switch type {
        case .mediumTransport: return 0x01
        case .storage: return 0x02
        case .importExport: return 0x04
        case .dataTransfer: return 0x08
        case .all: return nil
        }
    }

    private static func index(_ type: ElementType) -> Int? {
        type == .all ? nil : Int(type.rawValue) - 1
    }

    /// Whether elements of `type` can hold a cartridge.
    public func canStore(_ type: ElementType) -> Bool {
        guard let bit = Self.bit(type) else { return false }
        return storageFlags & bit != 0
    }

    /// Whether MOVE MEDIUM from an element of type `from` to one of type `to` is supported.
    public func canMove(from: ElementType, to: ElementType) -> Bool {
        guard let i = Self.index(from), let bit = Self.bit(to) else { return false }
        return moveFlags[i] & bit != 0
    }

    /// Whether EXCHANGE MEDIUM between the two types is supported.
    public func canExchange(from: ElementType, to: ElementType) -> Bool {
        guard let i = Self.index(from), let bit = Self.bit(to) else { return false }
        return exchangeFlags[i] & bit != 0
    }
}
