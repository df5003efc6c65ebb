import Testing
@testable import Discovery

private func drive(_ sg: Int, serial: String) -> DiscoveredDevice {
    DiscoveredDevice(kind: .drive, sgPath: "/dev/sg\(sg)", address: SCSIAddress(host: 2, channel: 0, target: sg, lun: 0),
                     vendor: "HP", model: "Ultrium 8-SCSI", revision: "J4DB", serial: serial, serialSource: .udev)
}

@Suite("Presence of registered devices")
struct PresenceDiffTests {
    let registered = RegisteredDevice(serial: "HU1234", kind: .drive)

    @Test("a registered drive that disappears goes offline with a reason naming it")
    func disappears() throws {
        let before = [drive(1, serial: "HU1234"), drive(2, serial: "OTHER")]
        let (changes, presence) = PresenceDiff.changes(registered: [registered: .online(before[0])],
                                                       before: before, after: [before[1]])
        let error = DeviceOfflineError(device: registered, lastPath: "/dev/sg1")
        #expect(changes.contains(.wentOffline(error)))
        #expect(changes.contains(.inventoryChanged(added: [], removed: [before[0]])))
        #expect(presence[registered] == .offline(error))
        #expect(error.description.contains("HU1234") && error.description.contains("/dev/sg1")
                && error.description.contains("disappeared"))
    }

    @Test("it comes back under another sg number and is re-bound by serial")
    func reboundBySerial() {
        let error = DeviceOfflineError(device: registered, lastPath: "/dev/sg1")
        let back = drive(7, serial: "HU1234")
        let (changes, presence) = PresenceDiff.changes(registered: [registered: .offline(error)],
                                                       before: [], after: [back])
        #expect(changes.contains(.rebound(registered, from: "/dev/sg1", to: back)))
        #expect(presence[registered] == .online(back))
    }

    @Test("back at the same node is reported as such")
    func cameBack() {
        let error = DeviceOfflineError(device: registered, lastPath: "/dev/sg1")
        let back = drive(1, serial: "HU1234")
        let (changes, _) = PresenceDiff.changes(registered: [registered: .offline(error)], before: [], after: [back])
        #expect(changes.contains(.cameBack(registered, back)))
    }

    @Test("a renumbering between two scans is a re-bind without going offline")
    func renumbered() {
        let old = drive(1, serial: "HU1234")
        let new = drive(4, serial: "HU1234")
        let (changes, _) = PresenceDiff.changes(registered: [registered: .online(old)], before: [old], after: [new])
        #expect(changes.contains(.rebound(registered, from: "/dev/sg1", to: new)))
        #expect(!changes.contains { if case .wentOffline = $0 { true } else { false } })
    }

    @Test("unchanged scans report nothing; a changer with the drive's serial is not the drive")
    func nothingChanged() {
        let known = drive(1, serial: "HU1234")
        let (changes, _) = PresenceDiff.changes(registered: [registered: .online(known)], before: [known], after: [known])
        #expect(changes.isEmpty)
        var impostor = known
        impostor.kind = .changer
        impostor.sgPath = "/dev/sg9"
        let (offline, _) = PresenceDiff.changes(registered: [registered: .online(known)], before: [known], after: [impostor])
        #expect(offline.contains(.wentOffline(DeviceOfflineError(device: registered, lastPath: "/dev/sg1"))))
    }
}
