import Testing
@testable import TapeHardware

@Test func tapehardwaretestsBuilds() { #expect(Bool(true)) }
