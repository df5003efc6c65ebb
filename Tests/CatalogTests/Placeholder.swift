import Testing
@testable import Catalog

@Test func catalogtestsBuilds() { #expect(Bool(true)) }
