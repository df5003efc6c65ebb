import Testing
@testable import LTFS

@Suite struct VOL1LabelTests {
    @Test func encodesTheReferenceBytesForABarcode() throws {
        let reference = try #require(SimulatedCartridge.fixture("fresh_ABC123_named").record(0, 0))
        #expect(try VOL1Label(barcode: "ABC123").encoded() == reference)
        // The serial is the barcode's first six characters (an LTO barcode carries a media suffix).
        #expect(try VOL1Label(barcode: "ABC123L5").encoded() == reference)
    }

    @Test func noBarcodeGivesSixSpaces() throws {
        let reference = try #require(SimulatedCartridge.fixture("fresh_nobarcode").record(1, 0))
        #expect(try VOL1Label(barcode: nil).encoded() == reference)
    }

    // VOL1 layout (ltfs.md; ANSI X3.27): 0–3 "VOL1", 4–9 serial, 10 "L", 24–27 "LTFS", 79 "4".
    @Test func layout() throws {
        let bytes = try VOL1Label(barcode: "XYZ789").encoded()
        #expect(bytes.count == 80)
        #expect(Array(bytes[0..<4]) == Array("VOL1".utf8))
        #expect(Array(bytes[4..<10]) == Array("XYZ789".utf8))
        #expect(bytes[10] == UInt8(ascii: "L"))
        #expect(Array(bytes[24..<28]) == Array("LTFS".utf8))
        #expect(bytes[79] == UInt8(ascii: "4"))
        #expect(bytes[11..<24].allSatisfy { $0 == 0x20 } && bytes[28..<79].allSatisfy { $0 == 0x20 })
    }

    @Test func decodesAndRecognisesNonLTFS() throws {
        let good = try VOL1Label.decode(#require(SimulatedCartridge.fixture("fresh_rules").record(0, 0)))
        #expect(good.volumeSerial == "RUL001" && good.isLTFS)
        let bad = try VOL1Label.decode(#require(SimulatedCartridge.fixture("bad_no_vol1_ltfs").record(0, 0)))
        #expect(bad.implementationIdentifier == "XXXX" && !bad.isLTFS)
    }

    @Test(arguments: [[UInt8](), [UInt8](repeating: 0x20, count: 79), [UInt8](repeating: 0x41, count: 81),
                      [UInt8](repeating: 0x44, count: 4096)])
    func rejectsWrongRecords(_ record: [UInt8]) {
        #expect(throws: LTFSLabelError.self) { try VOL1Label.decode(record) }
    }

    @Test(arguments: ["abc123", "AB-123", "AB1", "ÄBC123"])
    func rejectsSerialsTheReferenceRefuses(_ barcode: String) {
        #expect(throws: LTFSFormatError.self) { try VOL1Label(barcode: barcode) }
    }
}
