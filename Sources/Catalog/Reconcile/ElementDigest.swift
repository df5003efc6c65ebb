/// A 64-bit digest of what reconcile last wrote for one element: the reported state (kind,
/// fullness, volume tag, source, access, exception) and the cartridge placed there. Stored in
/// library_slots.element_digest and in the page index, so a sync reads 50,000 digests from an
/// index instead of 50,000 rows and their cartridges, and touches only elements whose digest
/// differs. Any write that is not reconcile's leaves a mismatch: a slot inserted through the API
/// has digest 0 (never produced here), and a cartridge placed, removed or deleted through the API
/// changes the occupant id the digest is checked against. Not cryptographic: a stale element is
/// missed only on a 64-bit collision (about 1 in 10^19 per changed element).
enum ElementDigest {
    /// A 64-bit hash of a volume tag's bytes (nil has its own value).
    static func tagHash(_ tag: String?) -> UInt64 {
        guard var tag else { return 0xFFFF_FFFF_FFFF_FFFF }
        var hasher = Mixer()
        tag.withUTF8 { bytes in
            var word: UInt64 = 0
            var count = 0
            for byte in bytes {
                word = word << 8 | UInt64(byte)
                count += 1
                if count == 8 { hasher.mix(word); word = 0; count = 0 }
            }
            hasher.mix(word | UInt64(bytes.count) << 56)
        }
        return hasher.value
    }

    static func of(_ element: InventoryElement, tagHash: UInt64, placed: Bool, occupant: Int64?) -> Int64 {
        var hasher = Mixer()
        let kindCode: UInt64
        switch element.kind {
        case .storage: kindCode = 1
        case .importExport: kindCode = 2
        case .drive: kindCode = 3
        case .transport: kindCode = 4
        }
        let flags = kindCode | (element.isFull ? 0x10 : 0) | (element.isAccessible ? 0x20 : 0)
            | (placed ? 0x40 : 0) | (element.exception != nil ? 0x80 : 0)
            | (UInt64(element.exception?.asc ?? 0) << 8) | (UInt64(element.exception?.ascq ?? 0) << 16)
            | (UInt64(element.sourceElement.map { $0 & 0xFFFF } ?? 0) << 24)
            | (element.sourceElement == nil ? 0 : 1 << 40)
        hasher.mix(flags)
        hasher.mix(UInt64(bitPattern: occupant ?? -1))
        hasher.mix(tagHash)
        // 0 marks slots reconcile never wrote.
        let value = Int64(bitPattern: hasher.value)
        return value == 0 ? 1 : value
    }

    /// splitmix64's finalizer over a running state: every input bit reaches every output bit.
    private struct Mixer {
        var value: UInt64 = 0x9E37_79B9_7F4A_7C15

        mutating func mix(_ word: UInt64) {
            var z = (value ^ word) &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            value = z ^ (z >> 31)
        }
    }
}

/// The volume tags seen so far in a snapshot, keyed by `ElementDigest.tagHash`. The hash is
/// already well mixed, so an open-addressing table probes with it directly instead of rehashing
/// every key through `Hasher` (a sync checks 40,000 tags; a Dictionary spent most of its time
/// hashing). A bucket packs the hash's upper 32 bits, which also choose the bucket, with 1 + the
/// index of the element holding the tag: 8 bytes, so a 50,000-element sync's table is 1 MB.
/// Exact: wherever the 32 bits match, the tags are compared as strings.
struct VolumeTagSet {
    /// 0: empty; else (hash >> 32) << 32 | (index + 1).
    private var buckets: [UInt64]
    private var mask: Int
    private var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        buckets = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// True when `tag` (of element `index`) was not seen before; `tagAt` gives an earlier
    /// element's tag, needed only when the upper hash bits match.
    mutating func insert(_ tag: String, hash: UInt64, index: Int, tagAt: (Int) -> String?) -> Bool {
        if count * 2 >= buckets.count { grow() }
        let upper = hash >> 32
        var bucket = Int(truncatingIfNeeded: upper) & mask
        while buckets[bucket] != 0 {
            let entry = buckets[bucket]
            if entry >> 32 == upper, tagAt(Int(entry & 0xFFFF_FFFF) - 1) == tag { return false }
            bucket = (bucket + 1) & mask
        }
        buckets[bucket] = upper << 32 | UInt64(UInt32(truncatingIfNeeded: index + 1))
        count += 1
        return true
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: 0, count: old.count * 2)
        mask = buckets.count - 1
        for entry in old where entry != 0 {
            var bucket = Int(truncatingIfNeeded: entry >> 32) & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = entry
        }
    }
}
