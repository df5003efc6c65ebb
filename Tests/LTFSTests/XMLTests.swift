import Testing
@testable import LTFS

@Suite struct XMLTests {
    static let fixtures = ["fresh_ABC123_named", "fresh_nobarcode", "fresh_nocompress_256k", "fresh_rules"]

    /// Parsing a reference label and writing it again gives the reference bytes.
    @Test(arguments: fixtures)
    func labelRoundTripsByteForByte(_ name: String) throws {
        let cartridge = try SimulatedCartridge.fixture(name)
        for partition in 0..<2 {
            let record = try #require(cartridge.record(partition, 2))
            let label = try LTFSLabel.decode(record)
            #expect(label.location == (partition == 0 ? "a" : "b"))
            #expect(label.encoded() == record)
        }
    }

    @Test(arguments: fixtures)
    func indexRoundTripsByteForByte(_ name: String) throws {
        let cartridge = try SimulatedCartridge.fixture(name)
        for partition in 0..<2 {
            let record = try #require(cartridge.record(partition, 5))
            let index = try LTFSIndex.decode(record)
            #expect(index.encoded() == record)
        }
    }

    @Test func referenceValuesAreRead() throws {
        let cartridge = try SimulatedCartridge.fixture("fresh_nocompress_256k")
        let label = try LTFSLabel.decode(#require(cartridge.record(0, 2)))
        #expect(label.version == "2.4.0")
        #expect(label.volumeUUID == "3951b4d1-4b61-425e-ab25-daaf6b5bef74")
        #expect(label.formatTime.formatted == "2026-11-23T00:26:14.968825984Z")
        #expect(label.blockSize == 262_144 && label.compression == false)
        #expect(label.indexPartition == "a" && label.dataPartition == "b")

        let ip = try LTFSIndex.decode(#require(cartridge.record(0, 5)))
        #expect(ip.generation == 1)
        #expect(ip.location == LTFSIndexLocation(partition: "a", startBlock: 5))
        #expect(ip.previousGenerationLocation == LTFSIndexLocation(partition: "b", startBlock: 5))
        #expect(ip.volumeName == nil && ip.highestFileUID == 1)
        let dp = try LTFSIndex.decode(#require(cartridge.record(1, 5)))
        #expect(dp.previousGenerationLocation == nil)

        let rules = try LTFSIndex.decode(#require(SimulatedCartridge.fixture("fresh_rules").record(0, 5)))
        #expect(rules.dataPlacementPolicy == LTFSDataPlacementPolicy(sizeLimit: 1_048_576, namePatterns: ["*.jpg", "*.png"]))
    }

    @Test func nonASCIINamesAndMarkupCharactersRoundTrip() throws {
        let time = try LTFSTimestamp(parsing: "2026-11-23T00:26:14.952572907Z")
        let index = LTFSIndex(creator: "a < b & c", volumeUUID: "e9d3ab8c-24d2-4b1c-9a00-116a53370f26",
                              generation: 1, updateTime: time,
                              location: LTFSIndexLocation(partition: "a", startBlock: 5),
                              previousGenerationLocation: nil, volumeName: "Архив «2026» & <ленты> 日本",
                              rootTime: time)
        let bytes = index.encoded()
        #expect(String(decoding: bytes, as: UTF8.self).contains("&amp; &lt;ленты&gt;"))
        #expect(try LTFSIndex.decode(bytes) == index)
    }

    @Test(arguments: [
        "", "not xml", "<ltfslabel version=\"2.4.0\">", "<other/>",
        "<ltfslabel version=\"9.0.0\"><creator/></ltfslabel>",
        "<ltfslabel version=\"2.4.0\"><creator>x</creator></ltfslabel>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ltfslabel version=\"2.4.0\">&e;</ltfslabel>",
    ])
    func malformedLabelsThrow(_ text: String) {
        #expect(throws: LTFSXMLError.self) { try LTFSLabel.decode(Array(text.utf8)) }
    }

    @Test func everyTruncationOfAReferenceIndexThrowsOrParses() throws {
        let record = try #require(SimulatedCartridge.fixture("fresh_rules").record(0, 5))
        for length in stride(from: 0, to: record.count, by: 7) {
            // Total: any prefix either parses or throws a typed error; nothing traps.
            _ = try? LTFSIndex.decode(Array(record.prefix(length)))
        }
        #expect(throws: LTFSXMLError.self) { try LTFSIndex.decode(Array(record.prefix(record.count / 2))) }
    }

    @Test func wrongBlockSizeOrPartitionLetterIsRefused() throws {
        let record = try #require(SimulatedCartridge.fixture("fresh_rules").record(0, 2))
        let text = String(decoding: record, as: UTF8.self)
        let small = text.replacingOccurrences(of: "<blocksize>524288", with: "<blocksize>512")
        #expect(throws: LTFSXMLError.self) { try LTFSLabel.decode(Array(small.utf8)) }
        let letter = text.replacingOccurrences(of: "<index>a</index>", with: "<index>AB</index>")
        #expect(throws: LTFSXMLError.self) { try LTFSLabel.decode(Array(letter.utf8)) }
    }
}

extension XMLTests {
    /// An index of tens of thousands of files is over 10 MB, past libxml2's limit for one
    /// parse chunk; it must still parse (the file tree itself is not kept).
    @Test func indexLargerThanTenMegabytesParses() throws {
        let record = try #require(SimulatedCartridge.fixture("fresh_rules").record(0, 5))
        var files = ""
        for i in 0..<40_000 {
            files += "<file><name>file-\(i).dat</name><length>1234</length><readonly>false</readonly>"
                + "<fileuid>\(i + 2)</fileuid><extentinfo><extent><fileoffset>0</fileoffset>"
                + "<partition>b</partition><startblock>\(i + 7)</startblock><byteoffset>0</byteoffset>"
                + "<bytecount>1234</bytecount></extent></extentinfo></file>\n"
        }
        let text = String(decoding: record, as: UTF8.self)
            .replacingOccurrences(of: "<contents/>", with: "<contents>\n" + files + "</contents>")
        let bytes = Array(text.utf8)
        #expect(bytes.count > 10_000_000)
        let index = try LTFSIndex.decode(bytes)
        #expect(index == (try LTFSIndex.decode(record)))
    }
}
