import Foundation
import Synchronization

/// JSON as the API writes it, straight into bytes as `encode(to:)` runs: snake_case keys,
/// ISO 8601 dates (whole seconds, UTC), slashes unescaped, keys in the order the type encodes
/// them (stable for a type), the same values as Foundation's JSONEncoder with those settings.
///
/// Why not JSONEncoder: it builds a tree of boxed values and dictionaries for the whole answer,
/// converts every key to snake_case again for every row, then sorts and writes it; for a page of
/// 100 slots that was half of the server's CPU (perf, docs/performance.md) and the API's
/// uncached slot pages ran at half the catalog's rate. No package this project may use writes
/// JSON from `Encodable` faster, so the API has this writer; its output is tested value for
/// value against JSONEncoder's (StreamingJSONTests).
struct StreamingJSONEncoder {
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONByteWriter()
        try writer.writeValue(value, depth: 0)
        writer.close(above: 0)
        return writer.bytes
    }
}

struct StreamingJSONError: Error, CustomStringConvertible {
    var description: String
}

/// The output and the stack of containers still open.
final class JSONByteWriter {
    var bytes: [UInt8] = []
    /// Open containers: true for an object, false for an array; with how many members so far.
    private var open: [(object: Bool, members: Int)] = []
    /// Keys as written (converted, escaped, quoted, with the colon), per key string.
    private var keys: [String: [UInt8]] = [:]

    init() { bytes.reserveCapacity(16_384) }

    var depth: Int { open.count }

    /// Closes the containers deeper than `depth` (a nested value has ended).
    func close(above depth: Int) {
        while open.count > depth {
            let last = open.removeLast()
            bytes.append(last.object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Opens a container at `depth + 1` for a value being written at `depth`.
    func begin(object: Bool) {
        bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        open.append((object, 0))
    }

    /// Starts a member of the container at `level` (1-based): closes deeper ones, writes the comma.
    func member(of level: Int) {
        close(above: level)
        if open[level - 1].members > 0 { bytes.append(UInt8(ascii: ",")) }
        open[level - 1].members += 1
    }

    /// A dictionary's key, written as it is (JSONEncoder converts no dictionary key).
    func rawKey(_ name: String, of level: Int) {
        member(of: level)
        appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    func key(_ name: String, of level: Int) {
        member(of: level)
        if let known = keys[name] {
            bytes.append(contentsOf: known)
            return
        }
        var written: [UInt8] = []
        appendString(SnakeCaseKeys.converted(name), to: &written)
        written.append(UInt8(ascii: ":"))
        keys[name] = written
        bytes.append(contentsOf: written)
    }

    // MARK: Values

    func writeValue<T: Encodable>(_ value: T, depth: Int) throws {
        switch value {
        case let string as String: appendString(string, to: &bytes)
        case let bool as Bool: appendBool(bool)
        case let int as Int: appendInteger(int)
        case let int as Int64: appendInteger(int)
        case let int as Int32: appendInteger(int)
        case let int as Int16: appendInteger(int)
        case let int as Int8: appendInteger(int)
        case let int as UInt: appendInteger(int)
        case let int as UInt64: appendInteger(int)
        case let int as UInt32: appendInteger(int)
        case let int as UInt16: appendInteger(int)
        case let int as UInt8: appendInteger(int)
        case let double as Double: try appendDouble(double)
        case let float as Float: try appendDouble(Double(float))
        case let date as Date: appendString(ISO8601Seconds.string(date), to: &bytes)
        case let url as URL: appendString(url.absoluteString, to: &bytes)
        case let data as Data: appendString(data.base64EncodedString(), to: &bytes)
        case let decimal as Decimal: bytes.append(contentsOf: Array(decimal.description.utf8))
        case let dictionary as any StringKeyedDictionary:
            begin(object: true)
            try dictionary.writeEntries(to: self, level: depth + 1)
            close(above: depth)
        default:
            let start = bytes.count
            try value.encode(to: StreamingValueEncoder(writer: self, depth: depth))
            // A value that asked for no container is an empty object, as JSONEncoder writes it.
            if bytes.count == start && open.count == depth { bytes.append(contentsOf: Array("{}".utf8)) }
            close(above: depth)
        }
    }

    func appendNull() { bytes.append(contentsOf: Array("null".utf8)) }

    func appendBool(_ value: Bool) { bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8)) }

    func appendInteger<I: BinaryInteger>(_ value: I) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        bytes.append(contentsOf: String(value).utf8)
    }

    func appendDouble(_ value: Double) throws {
        guard value.isFinite else { throw StreamingJSONError(description: "\(value) is not a JSON number") }
        // JSONEncoder writes integral values without ".0".
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    func appendString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// `[String: V]`, whose keys are written as they are and in order (JSONEncoder applies no key
/// strategy to a dictionary's keys).
protocol StringKeyedDictionary {
    func writeEntries(to writer: JSONByteWriter, level: Int) throws
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    func writeEntries(to writer: JSONByteWriter, level: Int) throws {
        for key in keys.sorted() {
            guard let value = self[key] else { continue }
            writer.rawKey(key, of: level)
            try writer.writeValue(value, depth: level)
        }
    }
}

/// Key names as JSONEncoder's `.convertToSnakeCase` writes them, converted once per process by
/// JSONEncoder itself (so the two never disagree) and remembered.
enum SnakeCaseKeys {
    private static let known = Mutex<[String: String]>([:])

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// One member named `name`, so that JSONEncoder converts the name as a key.
    private struct OneMember: Encodable {
        let name: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(0, forKey: AnyKey(stringValue: name))
        }
    }

    static func converted(_ key: String) -> String {
        if let hit = known.withLock({ $0[key] }) { return hit }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var result = key
        if let data = try? encoder.encode(OneMember(name: key)),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int], let converted = object.keys.first {
            result = converted
        }
        known.withLock { $0[key] = result }
        return result
    }
}

/// `yyyy-MM-dd'T'HH:mm:ss'Z'` in UTC, as JSONEncoder's `.iso8601` writes a date.
enum ISO8601Seconds {
    static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = Int(parts.tm_year) + 1900
        let yearText = year >= 0 && year < 1000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        return "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// The `Encoder` a value writes itself to; its containers write into the shared writer.
struct StreamingValueEncoder: Encoder {
    let writer: JSONByteWriter
    /// The depth of the container this value is written in (0 at the top).
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A second request for the same container continues it.
        if writer.depth == depth { writer.begin(object: true) }
        return KeyedEncodingContainer(StreamingKeyedContainer<Key>(writer: writer, level: depth + 1))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if writer.depth == depth { writer.begin(object: false) }
        return StreamingUnkeyedContainer(writer: writer, level: depth + 1)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleValueContainer(writer: writer, depth: depth)
    }
}

struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    /// The level of this container in the writer's stack (1-based).
    let level: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        writer.key(key.stringValue, of: level)
        writer.appendNull()
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        writer.key(key.stringValue, of: level)
        try writer.writeValue(value, depth: level)
    }

    // The primitives the synthesized `encode(to:)` calls by type: written without a dynamic cast.
    mutating func encode(_ value: String, forKey key: Key) throws {
        writer.key(key.stringValue, of: level)
        writer.appendString(value, to: &writer.bytes)
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws { writer.key(key.stringValue, of: level); writer.appendBool(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { writer.key(key.stringValue, of: level); writer.appendInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { writer.key(key.stringValue, of: level); writer.appendInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { writer.key(key.stringValue, of: level); writer.appendInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { writer.key(key.stringValue, of: level); writer.appendInteger(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { writer.key(key.stringValue, of: level); try writer.appendDouble(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey> {
        writer.key(key.stringValue, of: level)
        writer.begin(object: true)
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(writer: writer, level: level + 1))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.key(key.stringValue, of: level)
        writer.begin(object: false)
        return StreamingUnkeyedContainer(writer: writer, level: level + 1)
    }

    mutating func superEncoder() -> any Encoder {
        writer.key("super", of: level)
        return StreamingValueEncoder(writer: writer, depth: level)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        writer.key(key.stringValue, of: level)
        return StreamingValueEncoder(writer: writer, depth: level)
    }
}

struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let level: Int
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(writer: JSONByteWriter, level: Int) { self.writer = writer; self.level = level }

    mutating func encodeNil() throws {
        writer.member(of: level)
        writer.appendNull()
        count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        writer.member(of: level)
        try writer.writeValue(value, depth: level)
        count += 1
    }

    mutating func encode(_ value: String) throws { writer.member(of: level); writer.appendString(value, to: &writer.bytes); count += 1 }
    mutating func encode(_ value: Int64) throws { writer.member(of: level); writer.appendInteger(value); count += 1 }
    mutating func encode(_ value: Int) throws { writer.member(of: level); writer.appendInteger(value); count += 1 }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        writer.member(of: level)
        writer.begin(object: true)
        count += 1
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(writer: writer, level: level + 1))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.member(of: level)
        writer.begin(object: false)
        count += 1
        return StreamingUnkeyedContainer(writer: writer, level: level + 1)
    }

    mutating func superEncoder() -> any Encoder {
        writer.member(of: level)
        count += 1
        return StreamingValueEncoder(writer: writer, depth: level)
    }
}

struct StreamingSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.appendNull() }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.writeValue(value, depth: depth)
    }

    mutating func encode(_ value: String) throws { writer.appendString(value, to: &writer.bytes) }
    mutating func encode(_ value: Bool) throws { writer.appendBool(value) }
    mutating func encode(_ value: Int64) throws { writer.appendInteger(value) }
    mutating func encode(_ value: Int) throws { writer.appendInteger(value) }
}
