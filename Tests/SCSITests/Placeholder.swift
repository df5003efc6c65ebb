import Testing
@testable import SCSI

@Test func scsitestsBuilds() { #expect(Bool(true)) }
