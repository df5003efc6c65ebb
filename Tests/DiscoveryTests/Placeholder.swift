import Testing
@testable import Discovery

@Test func discoverytestsBuilds() { #expect(Bool(true)) }
