/// One line of /proc/self/mountinfo (proc(5)).
public struct MountEntry: Sendable, Hashable {
    /// "major:minor" of the mounted filesystem's device (field 3).
    public var majorMinor: String
    /// The mount point, with the kernel's octal escapes (\040 …) decoded (field 5).
    public var mountPoint: String
    /// The filesystem type after the " - " separator.
    public var fsType: String
    /// The mount source (a device path, or a pseudo name such as "tmpfs").
    public var source: String
}

/// The mounts of this process's mount namespace.
public enum MountTable {
    public static let path = "/proc/self/mountinfo"

    /// Parses mountinfo text; malformed lines are skipped (the kernel writes this file, but a
    /// parser here is total all the same).
    public static func parse(_ text: String) -> [MountEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
                  separator + 2 < fields.count else { return nil }
            return MountEntry(majorMinor: fields[2], mountPoint: decodeOctalEscapes(fields[4]),
                              fsType: fields[separator + 1], source: decodeOctalEscapes(fields[separator + 2]))
        }
    }

    /// Reads and parses /proc/self/mountinfo; empty when it cannot be read.
    public static func current() -> [MountEntry] {
        guard let bytes = try? FileBytes.read(path, limit: 16 << 20) else { return [] }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// The kernel escapes space, tab, newline and backslash in mount paths as \ooo.
    static func decodeOctalEscapes(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
               let value = octalValue(source[(index + 1)...(index + 3)]) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octalValue(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
