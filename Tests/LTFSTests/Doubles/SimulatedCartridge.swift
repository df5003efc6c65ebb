// TEST DOUBLE. An in-memory cartridge in the shape of the LTFS reference "file" backend
// (ltfs.md, last section): records, filemarks and end of data per partition, MAM attributes
// as raw header + value. It exists so LTFS can be tested before TapeDrive and HWSim land;
// it is not a drive model.
import Foundation
@testable import LTFS

struct SimulatedCartridge: Sendable, Equatable {
    enum Block: Sendable, Equatable {
        case record([UInt8])
        case filemark
    }

    var partitions: [[Block]]
    /// Whether each partition has an end-of-data mark after its last block.
    var hasEndOfData: [Bool]
    /// Raw attributes (5-byte header + value) per partition and id.
    var attributes: [UInt8: [UInt16: [UInt8]]] = [:]
    var generation: Int
    var barcode: String?
    var isWORM = false
    var isWriteProtected = false

    /// A blank, unpartitioned cartridge of an LTO generation.
    static func blank(generation: Int, barcode: String? = nil) -> SimulatedCartridge {
        SimulatedCartridge(partitions: [[]], hasEndOfData: [true], generation: generation, barcode: barcode)
    }

    /// The reference volumes in ../shared/fixtures/ltfs-reference, found from this file
    /// upwards (the package sits beside shared/, in CI as in a work tree).
    static let fixturesDirectory: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = dir.appendingPathComponent("shared/fixtures/ltfs-reference")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/nonexistent/shared/fixtures/ltfs-reference")
    }()

    static func fixture(_ name: String) throws -> SimulatedCartridge {
        try load(directory: fixturesDirectory.appendingPathComponent(name))
    }

    /// Reads a directory in the file-backend layout.
    static func load(directory: URL) throws -> SimulatedCartridge {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var blocks: [Int: [Int: Block]] = [:]
        var ends: [Int: Int] = [:]
        var attributes: [UInt8: [UInt16: [UInt8]]] = [:]
        var generation = 5
        for name in names {
            let url = directory.appendingPathComponent(name)
            let parts = name.split(separator: "_")
            if parts.count == 3, parts[0] == "attr", let p = UInt8(parts[1]), let id = UInt16(parts[2], radix: 16) {
                attributes[p, default: [:]][id] = Array(try Data(contentsOf: url))
            } else if parts.count == 3, let p = Int(parts[0]), let b = Int(parts[1]) {
                switch parts[2] {
                case "R": blocks[p, default: [:]][b] = .record(Array(try Data(contentsOf: url)))
                case "F": blocks[p, default: [:]][b] = .filemark
                case "E": ends[p] = b
                default: break
                }
            } else if name == "filedebug_tc_conf.xml" {
                let text = try String(contentsOf: url, encoding: .utf8)
                if let r = text.range(of: "<cart_type>L"), let digit = text[r.upperBound...].first?.wholeNumberValue {
                    generation = digit
                }
            }
        }
        let count = (Set(blocks.keys).union(ends.keys).max() ?? 0) + 1
        var partitions: [[Block]] = []
        var hasEnd: [Bool] = []
        for p in 0..<count {
            let length = ends[p] ?? ((blocks[p]?.keys.max()).map { $0 + 1 } ?? 0)
            partitions.append((0..<length).map { blocks[p]?[$0] ?? .filemark })
            hasEnd.append(ends[p] != nil)
        }
        return SimulatedCartridge(partitions: partitions, hasEndOfData: hasEnd, attributes: attributes,
                                  generation: generation)
    }

    /// The structure as the file backend names it: "R", "F", "E" per block of each partition.
    var structure: [[String]] {
        partitions.indices.map { p in
            partitions[p].map { if case .record = $0 { "R" } else { "F" } } + (hasEndOfData[p] ? ["E"] : [])
        }
    }

    func record(_ partition: Int, _ block: Int) -> [UInt8]? {
        guard partition < partitions.count, block < partitions[partition].count,
              case .record(let bytes) = partitions[partition][block] else { return nil }
        return bytes
    }

    var volumeChangeReference: UInt64 {
        guard let raw = attributes[0]?[MAMAttributeID.volumeChangeReference],
              let attribute = try? MAMAttribute.decode(raw) else { return 0 }
        return attribute.integerValue ?? 0
    }
}
