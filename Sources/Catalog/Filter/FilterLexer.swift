/// Comparison operators of filter_data (api.md): `=` equals, `~` contains, `<` before/less,
/// `>` after/greater.
public enum FilterOperator: String, Sendable, Equatable, CaseIterable {
    case equals = "="
    case contains = "~"
    case lessThan = "<"
    case greaterThan = ">"
}

/// A lexical token of filter_data with its UTF-8 offset for error messages.
struct FilterToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case comparison(FilterOperator)
        case string(String)
        case comma
        case end
    }
    let kind: Kind
    let offset: Int
}

/// Splits filter_data into tokens: identifiers `[A-Za-z_][A-Za-z0-9_]*`, the four operators,
/// double-quoted strings with `\"` and `\\` escapes, commas; spaces separate tokens.
struct FilterLexer {
    static let maximumLength = 4096

    static func tokenize(_ text: String) throws(FilterError) -> [FilterToken] {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength else {
            throw .tooComplex("filter_data longer than \(maximumLength) bytes")
        }
        var tokens: [FilterToken] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: ","):
                tokens.append(FilterToken(kind: .comma, offset: index))
                index += 1
            case UInt8(ascii: "="), UInt8(ascii: "~"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                let op = FilterOperator(rawValue: String(UnicodeScalar(byte)))
                guard let op else { throw .syntax(offset: index, message: "unexpected character") }
                tokens.append(FilterToken(kind: .comparison(op), offset: index))
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                var value: [UInt8] = []
                var closed = false
                while index < bytes.count {
                    let current = bytes[index]
                    if current == UInt8(ascii: "\\") {
                        guard index + 1 < bytes.count else { break }
                        let escaped = bytes[index + 1]
                        guard escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else {
                            throw .syntax(offset: index, message: "only \\\" and \\\\ escapes are allowed")
                        }
                        value.append(escaped)
                        index += 2
                    } else if current == UInt8(ascii: "\"") {
                        closed = true
                        index += 1
                        break
                    } else {
                        value.append(current)
                        index += 1
                    }
                }
                guard closed else { throw .syntax(offset: start, message: "unterminated string") }
                tokens.append(FilterToken(kind: .string(String(decoding: value, as: UTF8.self)), offset: start))
            default:
                guard isIdentifierStart(byte) else {
                    throw .syntax(offset: index, message: "unexpected character '\(printable(byte))'")
                }
                let start = index
                while index < bytes.count, isIdentifierPart(bytes[index]) { index += 1 }
                let name = String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append(FilterToken(kind: .identifier(name), offset: start))
            }
        }
        tokens.append(FilterToken(kind: .end, offset: bytes.count))
        return tokens
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    private static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }
}
