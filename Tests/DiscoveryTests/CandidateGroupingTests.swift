import Testing
@testable import Discovery

private func drive(_ sg: Int, serial: String?) -> DiscoveredDevice {
    DiscoveredDevice(kind: .drive, sgPath: "/dev/sg\(sg)", address: SCSIAddress(host: 0, channel: 0, target: sg, lun: 0),
                     vendor: "IBM", model: "ULT3580-TD8", revision: "Q3F2", serial: serial,
                     serialSource: serial == nil ? nil : .udev)
}

private func changer(_ sg: Int, serial: String = "CHG0001") -> DiscoveredDevice {
    DiscoveredDevice(kind: .changer, sgPath: "/dev/sg\(sg)", address: SCSIAddress(host: 0, channel: 0, target: sg, lun: 1),
                     vendor: "IBM", model: "3573-TL", revision: "F.10", serial: serial, serialSource: .udev)
}

private func bays(_ serials: [String?], firstAddress: UInt16 = 0x100) -> [DataTransferElementIdentity] {
    serials.enumerated().map { DataTransferElementIdentity(elementAddress: firstAddress + UInt16($0.offset), serial: $0.element) }
}

@Suite("Candidate grouping")
struct CandidateGroupingTests {
    @Test("drives are matched to bays by serial, not by sg order")
    func swappedOrder() {
        // sg1 holds the drive in the second bay, sg2 the one in the first.
        let drives = [drive(1, serial: "SERIAL-B"), drive(2, serial: "SERIAL-A")]
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: bays(["SERIAL-A", "SERIAL-B"]))],
            drives: drives)
        #expect(candidates.mode == .automatic)
        let group = candidates.changers[0]
        #expect(group.bays.map(\.drive?.sgPath) == ["/dev/sg2", "/dev/sg1"])
        #expect(group.bays.map(\.driveNumber) == [0, 1])
        #expect(group.bays.map(\.elementAddress) == [0x100, 0x101])
        #expect(group.bays.allSatisfy { $0.problem == nil })
        #expect(candidates.drives.isEmpty)
    }

    @Test("serials match without padding or case differences")
    func paddedSerials() {
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: bays(["  hu1234567x  "]))],
            drives: [drive(1, serial: "HU1234567X")])
        #expect(candidates.changers[0].bays[0].drive?.sgPath == "/dev/sg1")
    }

    @Test("a bay without DVCID leaves its drive unmatched, with the reason on both")
    func missingIdentifier() throws {
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: bays(["SERIAL-A", nil]))],
            drives: [drive(1, serial: "SERIAL-A"), drive(2, serial: "SERIAL-B")])
        let bay = candidates.changers[0].bays[1]
        #expect(bay.drive == nil)
        #expect(bay.problem?.code == .noDeviceIdentifier)
        #expect(bay.problem?.message.contains("no device identifier (DVCID)") == true)
        let unmatched = try #require(candidates.drives.first)
        #expect(candidates.drives.count == 1)
        #expect(unmatched.drive.sgPath == "/dev/sg2")
        #expect(unmatched.problem?.code == .notInAnyChanger)
        #expect(unmatched.problem?.message.contains("gave no device identifier") == true)
    }

    @Test("a bay naming a drive the host does not see")
    func driveNotVisible() {
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: bays(["GONE"]))], drives: [])
        #expect(candidates.changers[0].bays[0].problem?.code == .driveNotVisible)
    }

    @Test("drives sharing one serial are not guessed at")
    func sharedSerial() {
        // AWS Storage Gateway VTL: every device reports the same serial.
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: bays(["SAME"]))],
            drives: [drive(1, serial: "SAME"), drive(2, serial: "SAME")])
        #expect(candidates.changers[0].bays[0].problem?.code == .ambiguousSerial)
        #expect(candidates.drives.map(\.problem?.code) == [.ambiguousSerial, .ambiguousSerial])
    }

    @Test("a drive claimed by two bays belongs to neither")
    func claimedTwice() {
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: bays(["X"])),
                       ChangerIdentity(changer: changer(4, serial: "CHG0002"), dataTransferElements: bays(["X"]))],
            drives: [drive(1, serial: "X")])
        #expect(candidates.changers.flatMap(\.bays).map(\.problem?.code) == [.claimedTwice, .claimedTwice])
        #expect(candidates.drives.map(\.problem?.code) == [.claimedTwice])
    }

    @Test("a drive without a serial, and a changer that could not be queried")
    func noSerialAndUnqueried() {
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(3), dataTransferElements: [], queryProblem: "NOT READY")],
            drives: [drive(1, serial: nil), drive(2, serial: "LONELY")])
        #expect(candidates.changers[0].problem?.code == .changerNotQueried)
        #expect(candidates.drives.map(\.problem?.code) == [.driveHasNoSerial, .notInAnyChanger])
        #expect(candidates.drives[1].problem?.message.contains("could not be queried") == true)
    }

    @Test("two libraries: each changer gets its own drives")
    func twoLibraries() {
        let candidates = CandidateGrouping.automatic(
            changers: [ChangerIdentity(changer: changer(5), dataTransferElements: bays(["L1-D0", "L1-D1"])),
                       ChangerIdentity(changer: changer(6, serial: "CHG0002"), dataTransferElements: bays(["L2-D0"], firstAddress: 0x1F0))],
            drives: [drive(1, serial: "L2-D0"), drive(2, serial: "L1-D1"), drive(3, serial: "L1-D0")])
        #expect(candidates.changers[0].bays.map(\.drive?.sgPath) == ["/dev/sg3", "/dev/sg2"])
        #expect(candidates.changers[1].bays.map(\.drive?.sgPath) == ["/dev/sg1"])
        #expect(candidates.changers[1].bays[0].elementAddress == 0x1F0)
        #expect(candidates.drives.isEmpty)
    }

    @Test("manual mode lists every changer and every drive, unpaired")
    func manual() {
        let candidates = CandidateGrouping.manual(changers: [changer(3), changer(4)],
                                                  drives: [drive(1, serial: "A"), drive(2, serial: nil)])
        #expect(candidates.mode == .manual)
        #expect(candidates.changers.map(\.changer.sgPath) == ["/dev/sg3", "/dev/sg4"])
        #expect(candidates.changers.allSatisfy { $0.bays.isEmpty && $0.problem == nil })
        #expect(candidates.drives.map(\.drive.sgPath) == ["/dev/sg1", "/dev/sg2"])
        #expect(candidates.drives.allSatisfy { $0.problem == nil })
    }
}
