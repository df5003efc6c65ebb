import Testing
@testable import SCSI

/// Volume tag fields (SMC-3 6.11.5, volume tag information: 32-byte identifier, 2 reserved
/// bytes, 2-byte volume sequence number), decoded straight from the response bytes.
@Suite struct VolumeTagTests {
    static func field(_ identifier: [UInt8], sequence: UInt16 = 0) -> [UInt8] {
        identifier + Array(repeating: 0x20, count: 32 - identifier.count) + [0, 0, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    }

    @Test(arguments: [
        (Array("A00001L8".utf8), "A00001L8"),
        (Array("  A00001L8".utf8), "A00001L8"),            // leading spaces dropped
        (Array("A00001L8".utf8) + [0, 0, 0], "A00001L8"),  // trailing NULs dropped
        (Array("A0 01L8".utf8), "A0 01L8"),                // inner spaces kept
        ([0x41, 0x07, 0x42], "A?B"),                       // non-printable bytes shown as '?'
        ([0x20, 0x01, 0x41], "?A"),
    ] as [([UInt8], String)])
    func identifierIsTrimmedAndPrintable(_ identifier: [UInt8], _ expected: String) throws {
        var r = ByteReader(Self.field(identifier, sequence: 7), context: "test")
        let tag = try #require(try VolumeTag.parse(&r))
        #expect(tag.identifier == expected)
        #expect(tag.sequence == 7)
        #expect(r.isAtEnd)
    }

    @Test func blankIdentifierIsNoTag() throws {
        var r = ByteReader(Self.field([0x20, 0x20, 0, 0]), context: "test")
        #expect(try VolumeTag.parse(&r) == nil)
    }

    @Test func cutAfterTheIdentifierReadsSequenceZero() throws {
        var r = ByteReader(Array(Self.field(Array("B00002L9".utf8), sequence: 3).prefix(33)), context: "test")
        let tag = try #require(try VolumeTag.parse(&r))
        #expect(tag.identifier == "B00002L9")
        #expect(tag.sequence == 0)
    }

    @Test func shortFieldThrowsTruncated() {
        var r = ByteReader(Array(repeating: 0x41, count: 20), context: "test")
        #expect(throws: SCSIParseError.self) { try VolumeTag.parse(&r) }
    }
}
