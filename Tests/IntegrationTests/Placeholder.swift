import Testing
@testable import SCSI

@Test func integrationtestsBuilds() { #expect(Bool(true)) }
