/// What kind of cartridge a barcode names.
public enum CartridgeKind: String, Codable, Sendable, Hashable {
    case data, worm, cleaning
}

/// A MAM attribute as stored: the format byte (with the READ ONLY bit, SPC-4 table 336) and value.
public struct MAMAttribute: Sendable, Hashable {
    public var formatByte: UInt8
    public var value: [UInt8]
    public init(formatByte: UInt8, value: [UInt8]) { self.formatByte = formatByte; self.value = value }
}

/// Address of a MAM attribute: partition number and identifier.
public struct MAMKey: Sendable, Hashable, Comparable {
    public var partition: UInt8
    public var id: UInt16
    public init(partition: UInt8, id: UInt16) { self.partition = partition; self.id = id }
    public static func < (a: MAMKey, b: MAMKey) -> Bool { (a.partition, a.id) < (b.partition, b.id) }
}

/// A tape cartridge: barcode, media type, partitions of records and filemarks, MAM.
/// Mutated only under the owning library's lock.
public final class Cartridge: @unchecked Sendable {
    public let barcode: String
    /// The primary volume tag identifier: the barcode, space padded to 32 bytes (SMC-3 table 67).
    let volumeTag: [UInt8]
    public var kind: CartridgeKind
    public var generation: LTOGeneration
    public var partitions: [TapePartition]
    /// Host and stored attributes (application attributes, and any the image carried).
    public var attributes: [MAMKey: MAMAttribute]
    public var writeProtected: Bool
    /// Cleaning cycles left on a cleaning cartridge.
    public var cleaningUsesLeft: Int
    public var loadCount: Int
    /// Total capacity in bytes (native, possibly scaled down by the profile).
    public var capacity: Int64
    /// Capacity before any SET CAPACITY.
    public var fullCapacity: Int64
    public var volumeChangeReference: UInt32
    public var lifetimeBytesWritten: Int64 = 0
    public var lifetimeBytesRead: Int64 = 0
    /// Set when contents changed since the last save.
    var dirty = true
    /// Blocks that give a medium error when read or written: partition → block numbers.
    var mediaErrorBlocks: [Int: Set<Int>] = [:]

    public init(barcode: String, kind: CartridgeKind, generation: LTOGeneration, capacity: Int64,
                writeProtected: Bool = false, cleaningUsesLeft: Int = 50) {
        self.barcode = barcode
        self.volumeTag = ResponseBuffer.ascii(barcode, width: 32)
        self.kind = kind
        self.generation = generation
        self.capacity = capacity
        self.fullCapacity = capacity
        self.partitions = [TapePartition(capacity: capacity)]
        self.attributes = [:]
        self.writeProtected = writeProtected
        self.cleaningUsesLeft = cleaningUsesLeft
        self.loadCount = 0
        self.volumeChangeReference = 1
    }

    /// Medium type for MAM attribute 0408h (SPC-4): 00h data, 01h cleaning, 80h WORM.
    var mamMediumType: UInt8 {
        switch kind {
        case .data: return 0x00
        case .cleaning: return 0x01
        case .worm: return 0x80
        }
    }

    /// Repartitions the whole medium, erasing it. `sizes` has one entry per partition: bytes, or
    /// nil for "the rest". A fixed size is clamped to half of what is left (a drive rounds to
    /// what it can do), so every partition gets room.
    func repartition(sizes: [Int64?]) {
        let plan = sizes.isEmpty ? [nil] : sizes
        var fixed = [Int64](repeating: 0, count: plan.count)
        var left = capacity
        for (i, s) in plan.enumerated() {
            guard let s else { continue }
            let size = min(max(1, s), left / 2)
            fixed[i] = size
            left -= size
        }
        let restCount = plan.filter { $0 == nil }.count
        for (i, s) in plan.enumerated() where s == nil {
            fixed[i] = left / Int64(restCount)
        }
        if restCount == 0, let last = fixed.indices.last { fixed[last] += left }
        partitions = fixed.map { TapePartition(capacity: $0) }
        dirty = true
    }

    /// The volume change reference moves on whenever the recorded contents change (SPC-4 0009h).
    func contentsChanged() {
        volumeChangeReference &+= 1
        if volumeChangeReference == 0 || volumeChangeReference == 0xFFFF_FFFF { volumeChangeReference = 1 }
        let key = MAMKey(partition: 0, id: 0x0009)
        if attributes[key] != nil {
            var v = [UInt8](repeating: 0, count: 4)
            for i in 0..<4 { v[i] = UInt8(truncatingIfNeeded: volumeChangeReference >> UInt32(24 - 8 * i)) }
            attributes[key] = MAMAttribute(formatByte: 0x00, value: v)
        }
        dirty = true
    }
}
