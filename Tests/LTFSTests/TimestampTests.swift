import Testing
@testable import LTFS

@Suite struct TimestampTests {
    @Test(arguments: ["2026-11-23T00:26:14.952572907Z", "1970-01-01T00:00:00.000000000Z",
                      "2000-02-29T23:59:59.999999999Z", "2038-01-19T03:14:08.000000001Z"])
    func roundTrips(_ text: String) throws {
        #expect(try LTFSTimestamp(parsing: text).formatted == text)
    }

    @Test func knownEpochValue() throws {
        let t = try LTFSTimestamp(parsing: "2026-11-23T00:26:14.952572907Z")
        // 2026-11-23 is day 20,780 after 1970-01-01.
        #expect(t.seconds == 20_780 * 86_400 + 26 * 60 + 14)
        #expect(t.nanoseconds == 952_572_907)
    }

    @Test func shortFractionsAreScaled() throws {
        #expect(try LTFSTimestamp(parsing: "2026-11-23T00:26:14.5Z").nanoseconds == 500_000_000)
        #expect(try LTFSTimestamp(parsing: "2026-11-23T00:26:14Z").nanoseconds == 0)
    }

    @Test(arguments: ["", "2026-11-23", "2026-11-23T00:26:14.952572907", "2026-13-23T00:26:14Z",
                      "2026-11-23T00:26:14.9525729071Z", "2026-11-23 00:26:14Z", "２026-11-23T00:26:14Z"])
    func rejectsOtherForms(_ text: String) {
        #expect(throws: LTFSXMLError.self) { try LTFSTimestamp(parsing: text) }
    }

    @Test func nowHasTheLTFSForm() {
        let text = LTFSTimestamp.now().formatted
        #expect(text.utf8.count == 30 && text.hasSuffix("Z"))
    }
}
