import Testing
import SCSI
@testable import LTFS

@Suite struct MAMAttributeTests {
    // SPC-4 table 326: id (2), format (1), length (2), value.
    @Test func decodesTheReferenceAttributes() throws {
        let cartridge = try SimulatedCartridge.fixture("fresh_ABC123_named")
        let attrs = try #require(cartridge.attributes[0])
        let vendor = try MAMAttribute.decode(#require(attrs[0x0800]))
        #expect(vendor.format == .ascii && vendor.value.count == 8 && vendor.stringValue == "IBM")
        let name = try MAMAttribute.decode(#require(attrs[0x0803]))
        #expect(name.format == .text && name.value.count == 160 && name.stringValue == "TestVol")
        let localisation = try MAMAttribute.decode(#require(attrs[0x0805]))
        #expect(localisation.format == .binary && localisation.value == [0x81])
        let barcode = try MAMAttribute.decode(#require(attrs[0x0806]))
        #expect(barcode.format == .ascii && barcode.value.count == 32 && barcode.stringValue == "ABC123")
        let vcr = try MAMAttribute.decode(#require(attrs[0x0009]))
        #expect(vcr.integerValue == 1)
    }

    @Test func encodesLikeTheReference() throws {
        let attrs = try #require(SimulatedCartridge.fixture("fresh_ABC123_named").attributes[0])
        #expect(MAMAttribute.ascii(0x0806, "ABC123", length: 32).encoded() == attrs[0x0806])
        #expect(MAMAttribute.text(0x0803, "TestVol", length: 160).encoded() == attrs[0x0803])
        #expect(MAMAttribute.text(0x0808, "", length: 160).encoded() == attrs[0x0808])
        #expect(MAMAttribute.ascii(0x080B, "2.4.0", length: 16).encoded() == attrs[0x080B])
        #expect(MAMAttribute(id: 0x1623, format: .binary, value: [0]).encoded() == attrs[0x1623])
    }

    @Test func textIsCutAtACharacterBoundary() {
        let attribute = MAMAttribute.text(0x0803, String(repeating: "é", count: 100), length: 160)
        #expect(attribute.value.count == 160)
        #expect(attribute.stringValue == String(repeating: "é", count: 80))
        let odd = MAMAttribute.text(0x0803, "a" + String(repeating: "é", count: 100), length: 160)
        #expect(odd.stringValue == "a" + String(repeating: "é", count: 79))
    }

    @Test(arguments: [[UInt8](), [0x08, 0x00, 0x01, 0x00], [0x08, 0x00, 0x01, 0x00, 0x08, 0x49], [0x08, 0x00, 0x03, 0x00, 0x00]])
    func truncatedOrUnknownFormatThrows(_ bytes: [UInt8]) {
        #expect(throws: SCSIParseError.self) { try MAMAttribute.decode(bytes) }
    }

    // Volume coherency information (LTFS 2.4 annex; ltfs.md): VCR length 8, VCR, count,
    // set id, application length 002Bh, "LTFS\0", UUID + NUL, version.
    @Test func coherencyMatchesTheReferenceBytes() throws {
        let cartridge = try SimulatedCartridge.fixture("fresh_ABC123_named")
        for partition: UInt8 in [0, 1] {
            let raw = try #require(cartridge.attributes[partition]?[0x080C])
            let attribute = try MAMAttribute.decode(raw)
            let coherency = try VolumeCoherency.decode(value: attribute.value)
            #expect(coherency == VolumeCoherency(volumeChangeReference: 1, generation: 1, indexStartBlock: 5,
                                                 volumeUUID: "e9d3ab8c-24d2-4b1c-9a00-116a53370f26", version: 1))
            #expect(coherency.attribute.encoded() == raw)
            #expect(attribute.value.count == 0x46)
        }
    }

    @Test func coherencyOfAnotherApplicationIsRefused() {
        var value = VolumeCoherency(volumeChangeReference: 1, generation: 1, indexStartBlock: 5,
                                    volumeUUID: "e9d3ab8c-24d2-4b1c-9a00-116a53370f26").encodedValue()
        value[27] = UInt8(ascii: "X")
        #expect(throws: SCSIParseError.self) { try VolumeCoherency.decode(value: value) }
        #expect(throws: SCSIParseError.self) { try VolumeCoherency.decode(value: Array(value.prefix(40))) }
    }
}
