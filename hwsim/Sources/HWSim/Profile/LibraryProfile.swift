import Foundation

/// How a drive identifies itself in the changer's data transfer element descriptors
/// (READ ELEMENT STATUS with DVCID; SMC-3 6.11, device identifier).
public enum DeviceIdentifierStyle: String, Codable, Sendable, Hashable {
    /// Code set 2, identifier type 1: T10 vendor (8), product (16), serial (10) — 34 bytes.
    case t10VendorProductSerial
    /// Code set 2, identifier type 0: the serial number only (Quantum Superloader3).
    case serialOnly
    /// No identifier (length 0).
    case none
}

/// Field quirks of real changers and drives (scsi-reference.md, "Field quirks").
public struct QuirkSet: Codable, Sendable, Hashable {
    /// READ ELEMENT STATUS with both DVCID and VOLTAG is refused with 5/24/00 (IBM TS3500).
    public var dvcidWithVoltagRefused = false
    /// Only the low 2 bytes of READ ELEMENT STATUS's allocation length are honoured.
    public var sixteenBitAllocationLength = false
    /// After power-on the changer answers NOT READY 2/04/01 for this many seconds (virtual).
    public var becomingReadySeconds: Double = 0
    /// MODE SENSE(10) is refused with 5/20/00 (old devices).
    public var modeSense10Refused = false
    /// A MOVE MEDIUM right after another fails with HARDWARE ERROR 04h/03h (mhVTL issue 115).
    public var backToBackMoveHardwareError = false
    /// An all-types READ ELEMENT STATUS returns pages whose offsets ignore the 8-byte page
    /// headers, so they overlap (tgt).
    public var overlappingElementPages = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dvcidWithVoltagRefused, sixteenBitAllocationLength, becomingReadySeconds
        case modeSense10Refused, backToBackMoveHardwareError, overlappingElementPages
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dvcidWithVoltagRefused = try c.decodeIfPresent(Bool.self, forKey: .dvcidWithVoltagRefused) ?? false
        sixteenBitAllocationLength = try c.decodeIfPresent(Bool.self, forKey: .sixteenBitAllocationLength) ?? false
        becomingReadySeconds = try c.decodeIfPresent(Double.self, forKey: .becomingReadySeconds) ?? 0
        modeSense10Refused = try c.decodeIfPresent(Bool.self, forKey: .modeSense10Refused) ?? false
        backToBackMoveHardwareError = try c.decodeIfPresent(Bool.self, forKey: .backToBackMoveHardwareError) ?? false
        overlappingElementPages = try c.decodeIfPresent(Bool.self, forKey: .overlappingElementPages) ?? false
    }
}

/// Identity of a SCSI device (standard INQUIRY fields and VPD page 80h).
public struct DeviceIdentity: Codable, Sendable, Hashable {
    public var vendor: String
    public var product: String
    public var revision: String
    public var serial: String
    public init(vendor: String, product: String, revision: String, serial: String) {
        self.vendor = vendor; self.product = product; self.revision = revision; self.serial = serial
    }
}

/// One tape drive of a profile, in data transfer element order.
public struct DriveProfile: Codable, Sendable, Hashable {
    public var identity: DeviceIdentity
    public var generation: LTOGeneration
    public var identifierStyle: DeviceIdentifierStyle

    public init(identity: DeviceIdentity, generation: LTOGeneration,
                identifierStyle: DeviceIdentifierStyle = .t10VendorProductSerial) {
        self.identity = identity; self.generation = generation; self.identifierStyle = identifierStyle
    }

    enum CodingKeys: String, CodingKey { case identity, generation, identifierStyle }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        identity = try c.decode(DeviceIdentity.self, forKey: .identity)
        generation = try c.decode(LTOGeneration.self, forKey: .generation)
        identifierStyle = try c.decodeIfPresent(DeviceIdentifierStyle.self, forKey: .identifierStyle) ?? .t10VendorProductSerial
    }
}

/// Where a cartridge sits initially.
public enum ElementLocation: Codable, Sendable, Hashable {
    /// Storage slot, numbered 1… (mtx style).
    case slot(Int)
    /// Import/export element, numbered 1….
    case mailSlot(Int)
    /// Data transfer element (drive), numbered 0….
    case drive(Int)

    enum CodingKeys: String, CodingKey { case slot, mailSlot, drive }

    /// JSON form: `{"slot": 3}`, `{"mailSlot": 1}` or `{"drive": 0}`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let n = try c.decodeIfPresent(Int.self, forKey: .slot) { self = .slot(n) }
        else if let n = try c.decodeIfPresent(Int.self, forKey: .mailSlot) { self = .mailSlot(n) }
        else if let n = try c.decodeIfPresent(Int.self, forKey: .drive) { self = .drive(n) }
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                                                    debugDescription: "location needs slot, mailSlot or drive"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .slot(let n): try c.encode(n, forKey: .slot)
        case .mailSlot(let n): try c.encode(n, forKey: .mailSlot)
        case .drive(let n): try c.encode(n, forKey: .drive)
        }
    }
}

/// One cartridge of a profile.
public struct CartridgeProfile: Codable, Sendable, Hashable {
    public var barcode: String
    public var kind: CartridgeKind
    public var generation: LTOGeneration
    public var location: ElementLocation
    public var writeProtected: Bool
    public var cleaningUsesLeft: Int?
    /// A directory in the LTFS file-backend layout to load the contents from.
    public var image: String?

    public init(barcode: String, kind: CartridgeKind = .data, generation: LTOGeneration,
                location: ElementLocation, writeProtected: Bool = false, cleaningUsesLeft: Int? = nil,
                image: String? = nil) {
        self.barcode = barcode; self.kind = kind; self.generation = generation; self.location = location
        self.writeProtected = writeProtected; self.cleaningUsesLeft = cleaningUsesLeft; self.image = image
    }

    enum CodingKeys: String, CodingKey { case barcode, kind, generation, location, writeProtected, cleaningUsesLeft, image }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        barcode = try c.decode(String.self, forKey: .barcode)
        kind = try c.decodeIfPresent(CartridgeKind.self, forKey: .kind) ?? .data
        generation = try c.decode(LTOGeneration.self, forKey: .generation)
        location = try c.decode(ElementLocation.self, forKey: .location)
        writeProtected = try c.decodeIfPresent(Bool.self, forKey: .writeProtected) ?? false
        cleaningUsesLeft = try c.decodeIfPresent(Int.self, forKey: .cleaningUsesLeft)
        image = try c.decodeIfPresent(String.self, forKey: .image)
    }
}

/// First element addresses of each element type (SMC-3 mode page 1Dh).
public struct ElementAddressMap: Codable, Sendable, Hashable {
    public var transport: UInt16
    public var storage: UInt16
    public var importExport: UInt16
    public var dataTransfer: UInt16
    public init(transport: UInt16 = 1, storage: UInt16 = 0x1000, importExport: UInt16 = 0x10, dataTransfer: UInt16 = 0x100) {
        self.transport = transport; self.storage = storage; self.importExport = importExport; self.dataTransfer = dataTransfer
    }
}

/// A simulated library: identities, element layout, drives and initial cartridges.
public struct LibraryProfile: Codable, Sendable, Hashable {
    public var name: String
    public var changer: DeviceIdentity
    public var addresses: ElementAddressMap
    public var storageSlots: Int
    public var importExportSlots: Int
    public var drives: [DriveProfile]
    public var cartridges: [CartridgeProfile]
    /// Multiplies every cartridge's native capacity (e.g. 1e-6 for tests); 1 = real.
    public var capacityScale: Double
    public var quirks: QuirkSet
    /// Whether each device reports UNIT ATTENTION 6/29/00 on its first command.
    public var powerOnUnitAttention: Bool

    public init(name: String, changer: DeviceIdentity, addresses: ElementAddressMap = ElementAddressMap(),
                storageSlots: Int, importExportSlots: Int, drives: [DriveProfile],
                cartridges: [CartridgeProfile], capacityScale: Double = 1, quirks: QuirkSet = QuirkSet(),
                powerOnUnitAttention: Bool = true) {
        self.name = name; self.changer = changer; self.addresses = addresses
        self.storageSlots = storageSlots; self.importExportSlots = importExportSlots
        self.drives = drives; self.cartridges = cartridges; self.capacityScale = capacityScale
        self.quirks = quirks; self.powerOnUnitAttention = powerOnUnitAttention
    }

    enum CodingKeys: String, CodingKey {
        case name, changer, addresses, storageSlots, importExportSlots, drives, cartridges
        case capacityScale, quirks, powerOnUnitAttention
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        changer = try c.decode(DeviceIdentity.self, forKey: .changer)
        addresses = try c.decodeIfPresent(ElementAddressMap.self, forKey: .addresses) ?? ElementAddressMap()
        storageSlots = try c.decode(Int.self, forKey: .storageSlots)
        importExportSlots = try c.decodeIfPresent(Int.self, forKey: .importExportSlots) ?? 0
        drives = try c.decode([DriveProfile].self, forKey: .drives)
        cartridges = try c.decodeIfPresent([CartridgeProfile].self, forKey: .cartridges) ?? []
        capacityScale = try c.decodeIfPresent(Double.self, forKey: .capacityScale) ?? 1
        quirks = try c.decodeIfPresent(QuirkSet.self, forKey: .quirks) ?? QuirkSet()
        powerOnUnitAttention = try c.decodeIfPresent(Bool.self, forKey: .powerOnUnitAttention) ?? true
    }

    /// Checks that the layout fits in 16-bit element addresses without overlaps and that
    /// every cartridge sits in an existing, distinct element.
    public func validate() throws(ProfileError) {
        guard capacityScale.isFinite, capacityScale > 0, capacityScale <= 1_000 else {
            throw ProfileError("profile \(name): capacityScale must be a positive number")
        }
        guard quirks.becomingReadySeconds.isFinite, (0...86_400).contains(quirks.becomingReadySeconds) else {
            throw ProfileError("profile \(name): becomingReadySeconds must be 0…86400")
        }
        guard storageSlots >= 1, importExportSlots >= 0, !drives.isEmpty else {
            throw ProfileError("profile \(name): needs at least one slot and one drive")
        }
        let ranges: [(String, Int, Int)] = [
            ("transport", Int(addresses.transport), 1),
            ("storage", Int(addresses.storage), storageSlots),
            ("import/export", Int(addresses.importExport), importExportSlots),
            ("data transfer", Int(addresses.dataTransfer), drives.count),
        ]
        for (n, start, count) in ranges where start + count > 0x10000 {
            throw ProfileError("profile \(name): \(n) addresses exceed FFFFh")
        }
        for i in 0..<ranges.count {
            for j in (i + 1)..<ranges.count where ranges[i].2 > 0 && ranges[j].2 > 0 {
                let a = ranges[i], b = ranges[j]
                if a.1 < b.1 + b.2 && b.1 < a.1 + a.2 {
                    throw ProfileError("profile \(name): \(a.0) and \(b.0) addresses overlap")
                }
            }
        }
        var seenLocations = Set<ElementLocation>()
        var seenBarcodes = Set<String>()
        for c in cartridges {
            guard seenBarcodes.insert(c.barcode).inserted else { throw ProfileError("duplicate barcode \(c.barcode)") }
            guard seenLocations.insert(c.location).inserted else { throw ProfileError("two cartridges at \(c.location)") }
            switch c.location {
            case .slot(let n) where (1...storageSlots).contains(n): break
            case .mailSlot(let n) where importExportSlots > 0 && (1...importExportSlots).contains(n): break
            case .drive(let n) where drives.indices.contains(n): break
            default: throw ProfileError("cartridge \(c.barcode): no element \(c.location)")
            }
        }
    }
}

public struct ProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
