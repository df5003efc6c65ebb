import Testing
@testable import LTFS

@Test func ltfstestsBuilds() { #expect(Bool(true)) }
