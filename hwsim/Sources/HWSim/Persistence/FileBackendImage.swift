import Foundation

/// A cartridge directory in the layout of the LTFS reference implementation's "file" tape
/// backend (ltfs.md, last section): `<partition>_<block>_R` record bytes, `_F` filemark,
/// `_E` end of data (both empty); `attr_<partition>_<hex id>` a MAM attribute with its 5-byte
/// header (id, format, length); `filedebug_tc_conf.xml` the emulated cartridge.
public enum FileBackendImage {
    public struct ImageError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// LTO drives define at most four partitions; files naming others are not part of the image.
    static let maximumPartitions = 4

    /// Loads a directory's records, filemarks, end of data and attributes into `cartridge`,
    /// replacing its contents. A partition exists when it has at least one file; a partition
    /// whose last object has no `_E` after it has no end of data.
    public static func load(into cartridge: Cartridge, from directory: URL) throws {
        let fm = FileManager.default
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: directory.path) } catch {
            throw ImageError(description: "cannot list \(directory.path): \(error)")
        }
        var objects: [Int: [Int: Character]] = [:]
        var attributeFiles: [(Int, String)] = []
        for name in names {
            let parts = name.split(separator: "_", omittingEmptySubsequences: false)
            if parts.count == 3, let p = Int(parts[0]), let b = Int(parts[1]), p >= 0, p < maximumPartitions, b >= 0,
               let kind = parts[2].first, parts[2].count == 1, "RFE".contains(kind) {
                objects[p, default: [:]][b] = kind
            } else if parts.count == 3, parts[0] == "attr", let p = Int(parts[1]), p >= 0, p < maximumPartitions,
                      UInt16(parts[2], radix: 16) != nil {
                attributeFiles.append((p, name))
            }
        }
        if let conf = try? String(contentsOf: directory.appendingPathComponent("filedebug_tc_conf.xml"), encoding: .utf8) {
            if let mb = xmlValue(conf, "capacity_mb").flatMap({ Int64($0) }), mb > 0 {
                cartridge.capacity = mb * 1_048_576
                cartridge.fullCapacity = cartridge.capacity
            }
        }
        let partitionCount = max(1, (objects.keys.max() ?? 0) + 1, (attributeFiles.map { $0.0 }.max() ?? -1) + 1)
        cartridge.repartition(sizes: partitionCount == 1 ? [nil] : [1_000_000_000] + Array(repeating: nil, count: partitionCount - 1))
        for p in 0..<partitionCount {
            let blocks = objects[p] ?? [:]
            var list: [TapeObject] = []
            var hasEOD = false
            var block = 0
            while let kind = blocks[block] {
                if kind == "E" { hasEOD = true; break }
                if kind == "F" {
                    list.append(.filemark)
                } else {
                    let url = directory.appendingPathComponent("\(p)_\(block)_R")
                    let data: Data
                    do { data = try Data(contentsOf: url) } catch {
                        throw ImageError(description: "cannot read \(url.path): \(error)")
                    }
                    list.append(.record([UInt8](data)))
                }
                block += 1
            }
            cartridge.partitions[p] = TapePartition(capacity: cartridge.partitions[p].capacity, objects: list, hasEndOfData: hasEOD)
        }
        cartridge.attributes = [:]
        for (p, name) in attributeFiles {
            let url = directory.appendingPathComponent(name)
            guard let data = try? [UInt8](Data(contentsOf: url)), data.count >= 5 else {
                throw ImageError(description: "attribute file \(name) is shorter than its 5-byte header")
            }
            let id = UInt16(data[0]) << 8 | UInt16(data[1])
            let length = Int(data[3]) << 8 | Int(data[4])
            guard data.count >= 5 + length else { throw ImageError(description: "attribute file \(name) is truncated") }
            cartridge.attributes[MAMKey(partition: UInt8(p), id: id)] = MAMAttribute(formatByte: data[2], value: Array(data[5..<(5 + length)]))
            if id == 0x0009 && p == 0 && length == 4 {
                cartridge.volumeChangeReference = data[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            }
        }
        cartridge.dirty = false
    }

    /// The contents of a cartridge as values, taken under the library's lock and written
    /// without it (the record arrays are shared, not copied).
    public struct Contents: Sendable {
        public var partitions: [TapePartition]
        public var attributes: [MAMKey: MAMAttribute]
        public var capacity: Int64
        public var generation: LTOGeneration
        public var writeProtected: Bool

        public init(_ c: Cartridge) {
            partitions = c.partitions
            attributes = c.attributes
            // The reference backend keeps the volume change reference as `attr_0_9` too.
            let vcr = MAMKey(partition: 0, id: 0x0009)
            if attributes[vcr] == nil {
                let v = c.volumeChangeReference
                attributes[vcr] = MAMAttribute(formatByte: 0x00, value: [UInt8(v >> 24), UInt8((v >> 16) & 0xFF),
                                                                          UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
            }
            capacity = c.capacity
            generation = c.generation
            writeProtected = c.writeProtected
        }
    }

    /// Writes `cartridge` to `directory` in the same layout, replacing what was there.
    public static func save(_ cartridge: Cartridge, to directory: URL) throws {
        try save(Contents(cartridge), to: directory)
        cartridge.dirty = false
    }

    /// Writes cartridge contents to `directory` in the same layout, replacing what was there.
    public static func save(_ cartridge: Contents, to directory: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let parts = name.split(separator: "_")
            let isObject = parts.count == 3 && Int(parts[0]) != nil && Int(parts[1]) != nil
            if isObject || name.hasPrefix("attr_") {
                try fm.removeItem(at: directory.appendingPathComponent(name))
            }
        }
        for (p, part) in cartridge.partitions.enumerated() {
            for (b, object) in part.objects.enumerated() {
                switch object {
                case .record(let bytes):
                    try Data(bytes).write(to: directory.appendingPathComponent("\(p)_\(b)_R"))
                case .unretained(let length):
                    // The bytes were not kept: saved as zeros of the record's length.
                    try Data(count: length).write(to: directory.appendingPathComponent("\(p)_\(b)_R"))
                case .filemark:
                    try Data().write(to: directory.appendingPathComponent("\(p)_\(b)_F"))
                }
            }
            if part.hasEndOfData {
                try Data().write(to: directory.appendingPathComponent("\(p)_\(part.objects.count)_E"))
            }
        }
        for (key, a) in cartridge.attributes {
            var bytes: [UInt8] = [UInt8(key.id >> 8), UInt8(key.id & 0xFF), a.formatByte,
                                  UInt8((a.value.count >> 8) & 0xFF), UInt8(a.value.count & 0xFF)]
            bytes.append(contentsOf: a.value)
            try Data(bytes).write(to: directory.appendingPathComponent("attr_\(key.partition)_\(String(key.id, radix: 16))"))
        }
        let conf = """
        <?xml version="1.0" encoding="UTF-8"?>
        <filedebug_cartridge_config>
            <dummy_io>false</dummy_io>
            <emulate_readonly>\(cartridge.writeProtected ? "true" : "false")</emulate_readonly>
            <capacity_mb>\(cartridge.capacity / 1_048_576)</capacity_mb>
            <cart_type>\(cartridge.generation.barcodeSuffix)</cart_type>
            <density_code>\(String(cartridge.generation.densityCode, radix: 16))</density_code>
            <delay_mode>None</delay_mode>
            <wraps>40</wraps>
            <eot_to_bot_sec>12</eot_to_bot_sec>
            <change_direction_us>2000000</change_direction_us>
            <change_track_us>10000</change_track_us>
            <threading_sec>0</threading_sec>
        </filedebug_cartridge_config>

        """
        try Data(conf.utf8).write(to: directory.appendingPathComponent("filedebug_tc_conf.xml"))
    }

    /// The LTO generation a `cart_type` such as `L5` names.
    static func generation(cartType: String) -> LTOGeneration? {
        LTOGeneration.allCases.first { $0.barcodeSuffix == cartType }
    }

    /// The configured cartridge of an image directory: generation (from `cart_type`).
    public static func generation(ofImage directory: URL) -> LTOGeneration? {
        guard let conf = try? String(contentsOf: directory.appendingPathComponent("filedebug_tc_conf.xml"), encoding: .utf8),
              let type = xmlValue(conf, "cart_type") else { return nil }
        return generation(cartType: type)
    }

    static func xmlValue(_ xml: String, _ tag: String) -> String? {
        guard let open = xml.range(of: "<\(tag)>"), let close = xml.range(of: "</\(tag)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return xml[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
