import Testing
@testable import HWSim

@Test func hwsimtestsBuilds() { #expect(Bool(true)) }
