/// Filesystem type, label and UUID read from a device's first bytes, for hosts where udev's
/// database (ID_FS_TYPE, ID_FS_LABEL, ID_FS_UUID from blkid) is not available.
/// Only the common types are recognised; anything else is nil, never a guess.
public struct FilesystemSignature: Sendable, Hashable {
    public var type: String
    public var label: String?
    public var uuid: String?

    /// How many leading bytes `probe` needs (the btrfs superblock ends just past 64 KiB + 4 KiB).
    public static let probeLength = 0x10000 + 0x1000

    public static func probe(_ bytes: [UInt8]) -> FilesystemSignature? {
        let device = ProbeBytes(bytes)
        return probeExt(device) ?? probeXFS(device) ?? probeBtrfs(device) ?? probeSwap(device)
            ?? probeLVM(device) ?? probeISO9660(device) ?? probeFAT(device)
    }

    // ext2/3/4 superblock at byte 1024 (Linux Documentation/filesystems/ext4/super.rst):
    // s_magic 0xEF53 LE at +0x38, s_feature_compat +0x5C, s_feature_incompat +0x60,
    // s_feature_ro_compat +0x64, s_uuid +0x68 (16), s_volume_name +0x78 (16).
    private static func probeExt(_ device: ProbeBytes) -> FilesystemSignature? {
        let base = 1024
        guard device.uint16LE(base + 0x38) == 0xEF53,
              let compat = device.uint32LE(base + 0x5C), let incompat = device.uint32LE(base + 0x60),
              let roCompat = device.uint32LE(base + 0x64) else { return nil }
        let ext4Incompat: UInt32 = 0x40 | 0x80 | 0x200       // EXTENTS, 64BIT, FLEX_BG
        let ext4RoCompat: UInt32 = 0x8 | 0x10 | 0x20 | 0x40 | 0x400 // HUGE_FILE, GDT_CSUM, DIR_NLINK, EXTRA_ISIZE, METADATA_CSUM
        let type: String
        if incompat & ext4Incompat != 0 || roCompat & ext4RoCompat != 0 {
            type = "ext4"
        } else if compat & 0x4 != 0 {                         // HAS_JOURNAL
            type = "ext3"
        } else {
            type = "ext2"
        }
        return FilesystemSignature(type: type, label: device.text(base + 0x78, 16),
                                   uuid: device.uuid(base + 0x68))
    }

    // XFS superblock at 0 (xfs_format.h, struct xfs_dsb): "XFSB", sb_uuid at 32, sb_fname at 108 (12).
    private static func probeXFS(_ device: ProbeBytes) -> FilesystemSignature? {
        guard device.matches("XFSB", at: 0) else { return nil }
        return FilesystemSignature(type: "xfs", label: device.text(108, 12), uuid: device.uuid(32))
    }

    // btrfs superblock at 64 KiB (btrfs_super_block): fsid at +32, magic "_BHRfS_M" at +64,
    // label at +299 (256).
    private static func probeBtrfs(_ device: ProbeBytes) -> FilesystemSignature? {
        let base = 0x10000
        guard device.matches("_BHRfS_M", at: base + 64) else { return nil }
        return FilesystemSignature(type: "btrfs", label: device.text(base + 299, 256), uuid: device.uuid(base + 32))
    }

    // Linux swap (include/linux/swap.h, union swap_header) with 4 KiB pages: "SWAPSPACE2" in
    // the last 10 bytes of the first page; uuid at 1036, volume name at 1052 (16).
    private static func probeSwap(_ device: ProbeBytes) -> FilesystemSignature? {
        guard device.matches("SWAPSPACE2", at: 4096 - 10) || device.matches("SWAP-SPACE", at: 4096 - 10) else {
            return nil
        }
        return FilesystemSignature(type: "swap", label: device.text(1052, 16), uuid: device.uuid(1036))
    }

    // LVM2 physical volume: label header "LABELONE" in sector 1, type "LVM2 001" at +24.
    private static func probeLVM(_ device: ProbeBytes) -> FilesystemSignature? {
        guard device.matches("LABELONE", at: 512), device.matches("LVM2 001", at: 512 + 24) else { return nil }
        return FilesystemSignature(type: "LVM2_member", label: nil, uuid: nil)
    }

    // ISO 9660 primary volume descriptor at 32768 (ECMA-119 8.4): "CD001" at +1, volume id +40 (32).
    private static func probeISO9660(_ device: ProbeBytes) -> FilesystemSignature? {
        guard device.matches("CD001", at: 32768 + 1) else { return nil }
        return FilesystemSignature(type: "iso9660", label: device.text(32768 + 40, 32), uuid: nil)
    }

    // FAT boot sector (Microsoft FAT specification): 55h AAh at 510; FAT32 has "FAT32" at 82,
    // volume serial at 67 and label at 71; FAT12/16 have "FAT" at 54, serial at 39, label at 43.
    private static func probeFAT(_ device: ProbeBytes) -> FilesystemSignature? {
        guard device.byte(510) == 0x55, device.byte(511) == 0xAA else { return nil }
        let serialOffset: Int
        if device.matches("FAT32", at: 82) {
            serialOffset = 67
        } else if device.matches("FAT", at: 54) {
            serialOffset = 39
        } else {
            return nil
        }
        var label = device.text(serialOffset + 4, 11)
        if label == "NO NAME" { label = nil }
        let uuid = device.uint32LE(serialOffset).map { serial in
            let hex = String(serial, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: 8 - hex.count) + hex
            return String(padded.prefix(4)) + "-" + String(padded.suffix(4))
        }
        return FilesystemSignature(type: "vfat", label: label, uuid: uuid)
    }
}

/// Bounds-checked little-endian access to probe bytes: out of range reads are nil.
private struct ProbeBytes {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func byte(_ offset: Int) -> UInt8? { offset >= 0 && offset < bytes.count ? bytes[offset] : nil }

    func slice(_ offset: Int, _ count: Int) -> ArraySlice<UInt8>? {
        guard offset >= 0, count >= 0, offset + count <= bytes.count else { return nil }
        return bytes[offset..<(offset + count)]
    }

    func uint16LE(_ offset: Int) -> UInt16? {
        slice(offset, 2).map { UInt16($0[$0.startIndex]) | UInt16($0[$0.startIndex + 1]) << 8 }
    }

    func uint32LE(_ offset: Int) -> UInt32? {
        slice(offset, 4).map { $0.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    }

    func matches(_ magic: String, at offset: Int) -> Bool {
        slice(offset, magic.utf8.count).map { Array($0) == Array(magic.utf8) } ?? false
    }

    /// A NUL/space padded label, nil when blank.
    func text(_ offset: Int, _ count: Int) -> String? {
        guard let raw = slice(offset, count) else { return nil }
        let upToNul = raw.prefix { $0 != 0 }
        let text = String(decoding: upToNul, as: UTF8.self).trimmingWhitespace()
        return text.isEmpty ? nil : text
    }

    /// A 16-byte UUID in the usual 8-4-4-4-12 lower-case form, nil when all zero.
    func uuid(_ offset: Int) -> String? {
        guard let raw = slice(offset, 16), raw.contains(where: { $0 != 0 }) else { return nil }
        let hex = raw.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]]
            .map { $0.joined() }.joined(separator: "-")
    }
}
