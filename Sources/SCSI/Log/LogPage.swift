/// One log parameter (SPC-4 7.3.2.2, table 345): code (2), control byte (DU 80h,
/// TSD 20h, ETC 10h, TMC 0Ch, FORMAT AND LINKING 03h), length (1), value.
public struct LogParameter: Sendable, Hashable {
    public var code: UInt16
    public var control: UInt8
    public var value: [UInt8]

    public init(code: UInt16, control: UInt8 = 0x03, value: [UInt8]) {
        self.code = code
        self.control = control
        self.value = value
    }

    /// The value as a big-endian unsigned integer (nil when longer than 8 bytes).
    public var integer: UInt64? {
        guard value.count <= 8 else { return nil }
        return value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The value as trimmed ASCII text.
    public var text: String { String(ByteReader.trimmedASCII(value).drop(while: { $0 == " " })) }

    /// FORMAT AND LINKING (control bits 1–0): 0 bounded counter, 1 ASCII list, 2 bounded
    /// or unbounded, 3 binary list.
    public var formatAndLinking: UInt8 { control & 0x03 }

    public var encoded: [UInt8] {
        BigEndian.bytes(UInt64(code), count: 2) + [control, UInt8(truncatingIfNeeded: value.count)] + value
    }
}

/// A log page (SPC-4 7.3.2.1, table 344): byte 0 DS 80h, SPF 40h, page code bits 5–0;
/// subpage byte 1; page length bytes 2–3; then parameters.
public struct LogPage: Sendable, Hashable {
    public var code: UInt8
    public var subpage: UInt8
    /// Bytes after the 4-byte header, bounded by the page length and the transfer.
    public var body: [UInt8]

    public init(code: UInt8, subpage: UInt8 = 0, body: [UInt8]) {
        self.code = code & 0x3F
        self.subpage = subpage
        self.body = body
    }

    /// Parses the page header; throws when `expectedPage` is given and does not match.
    /// A page length beyond the transfer (allocation length too small) is truncation.
    public init(parsing data: [UInt8], expectedPage: UInt8? = nil) throws(SCSIParseError) {
        var r = ByteReader(data, context: "log page")
        code = try r.u8() & 0x3F
        subpage = try r.u8()
        if let expectedPage, expectedPage != code {
            throw SCSIParseError(.invalidField, "log page", offset: 0,
                                 "page \(hex(code))h, expected \(hex(expectedPage))h")
        }
        let length = Int(try r.u16())
        body = try r.bytes(length)
    }

    /// The parameters of the page.
    public func parameters() throws(SCSIParseError) -> [LogParameter] {
        var r = ByteReader(body, context: "log page \(hex(code))h parameter")
        var list: [LogParameter] = []
        while !r.isAtEnd {
            let code = try r.u16()
            let control = try r.u8()
            let length = Int(try r.u8())
            list.append(LogParameter(code: code, control: control, value: try r.bytes(length)))
        }
        return list
    }

    /// Encodes a page from parameters (for simulators, LOG SELECT and tests).
    public static func encoded(code: UInt8, subpage: UInt8 = 0, parameters: [LogParameter]) -> [UInt8] {
        let body = parameters.flatMap(\.encoded)
        return [code & 0x3F | (subpage != 0 ? 0x40 : 0), subpage]
            + BigEndian.bytes(UInt64(body.count), count: 2) + body
    }
}

/// Supported Log Pages, page 00h (SPC-4 table 382): a list of page codes.
public struct SupportedLogPages: Sendable, Hashable {
    public var pages: [UInt8]
    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        pages = try LogPage(parsing: data, expectedPage: 0x00).body.map { $0 & 0x3F }
    }
}

/// Parameters keyed by code, for the typed views below.
struct LogParameterTable {
    var byCode: [UInt16: LogParameter] = [:]
    init(_ page: LogPage) throws(SCSIParseError) {
        for p in try page.parameters() where byCode[p.code] == nil { byCode[p.code] = p }
    }
    func int(_ code: UInt16) -> UInt64? { byCode[code]?.integer }
    func flag(_ code: UInt16) -> Bool? { byCode[code].map { $0.value.contains { $0 != 0 } } }
}
