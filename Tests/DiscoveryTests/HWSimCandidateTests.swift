import Foundation
import HWSim
import SCSI
import Testing
@testable import Discovery

/// A library of `drives` (serial, DVCID style) with 6 slots, 2 mail slots and 3 cartridges.
private func library(drives: [(serial: String, style: DeviceIdentifierStyle)],
                     quirks: QuirkSet = QuirkSet(), changerSerial: String = "78A0999999") throws -> SimulatedLibrary {
    let profile = LibraryProfile(
        name: "discovery-test",
        changer: DeviceIdentity(vendor: "IBM", product: "3573-TL", revision: "F.10", serial: changerSerial),
        storageSlots: 6, importExportSlots: 2,
        drives: drives.map {
            DriveProfile(identity: DeviceIdentity(vendor: "IBM", product: "ULT3580-TD9", revision: "Q3A0", serial: $0.serial),
                         generation: .lto9, identifierStyle: $0.style)
        },
        cartridges: [
            CartridgeProfile(barcode: "A00001L9", generation: .lto9, location: .slot(1)),
            CartridgeProfile(barcode: "A00002L9", generation: .lto9, location: .slot(4)),
            CartridgeProfile(barcode: "A00003L9", generation: .lto9, location: .mailSlot(2)),
        ],
        quirks: quirks)
    return try SimulatedLibrary(profile: profile)
}

private func address(_ target: Int) -> SCSIAddress { SCSIAddress(host: 3, channel: 0, target: target, lun: 0) }

@Suite("Candidates against hwsim")
struct HWSimCandidateTests {
    /// The hosts numbers sg nodes in probe order, which need not be bay order: here the drive
    /// in bay 1 is /dev/sg1 and the drive in bay 0 is /dev/sg2.
    private func swappedSource(_ simulated: SimulatedLibrary) -> TransportDiscoverySource {
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg1", address: address(1), transport: simulated.driveTransport(1))
        source.add(path: "/dev/sg2", address: address(2), transport: simulated.driveTransport(0))
        source.add(path: "/dev/sg3", address: address(3), transport: simulated.changerTransport)
        return source
    }

    @Test("the source reads kind, identity and serial through the transport")
    func devices() async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial), ("SIMDRIVE-B", .serialOnly)])
        let devices = try await swappedSource(simulated).devices()
        #expect(devices.map(\.sgPath) == ["/dev/sg1", "/dev/sg2", "/dev/sg3"])
        #expect(devices.map(\.kind) == [.drive, .drive, .changer])
        #expect(devices.map(\.serial) == ["SIMDRIVE-B", "SIMDRIVE-A", "78A0999999"])
        #expect(devices.allSatisfy { $0.serialSource == .transport && $0.vendor == "IBM" })
        #expect(devices[2].model == "3573-TL" && devices[0].model == "ULT3580-TD9")
    }

    @Test("automatic mode: drives with swapped element order are matched by serial", arguments: [
        DeviceIdentifierStyle.t10VendorProductSerial, .serialOnly,
    ])
    func swappedOrder(_ style: DeviceIdentifierStyle) async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", style), ("SIMDRIVE-B", style)])
        let candidates = try await CandidateFinder(source: swappedSource(simulated)).candidates(mode: .automatic)
        let group = try #require(candidates.changers.first)
        #expect(candidates.changers.count == 1)
        #expect(group.changer.sgPath == "/dev/sg3")
        #expect(group.bays.map(\.elementAddress) == [0x100, 0x101])
        #expect(group.bays.map(\.reportedSerial) == ["SIMDRIVE-A", "SIMDRIVE-B"])
        #expect(group.bays.map(\.drive?.sgPath) == ["/dev/sg2", "/dev/sg1"])
        #expect(group.bays.allSatisfy { $0.problem == nil })
        #expect(candidates.drives.isEmpty)
    }

    @Test("automatic mode: a drive without DVCID is left unmatched with a clear reason")
    func driveWithoutIdentifier() async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial), ("SIMDRIVE-B", .none)])
        let candidates = try await CandidateFinder(source: swappedSource(simulated)).candidates(mode: .automatic)
        let group = try #require(candidates.changers.first)
        #expect(group.bays[0].drive?.sgPath == "/dev/sg2")
        #expect(group.bays[1].drive == nil)
        #expect(group.bays[1].problem?.code == .noDeviceIdentifier)
        #expect(group.bays[1].problem?.message.contains("element 0x0101") == true)
        let unmatched = try #require(candidates.drives.first)
        #expect(candidates.drives.count == 1)
        #expect(unmatched.drive.sgPath == "/dev/sg1")
        #expect(unmatched.drive.serial == "SIMDRIVE-B")
        #expect(unmatched.problem?.code == .notInAnyChanger)
        #expect(unmatched.problem?.message == "no changer reports a drive with serial SIMDRIVE-B (drive /dev/sg1); "
            + "it may be a standalone drive, or sit in a bay for which changer /dev/sg3 gave no device identifier")
    }

    @Test("a changer that refuses DVCID with VOLTAG (IBM TS3500) is asked again without VOLTAG")
    func dvcidWithoutVoltag() async throws {
        var quirks = QuirkSet()
        quirks.dvcidWithVoltagRefused = true
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial), ("SIMDRIVE-B", .t10VendorProductSerial)],
                                    quirks: quirks)
        let candidates = try await CandidateFinder(source: swappedSource(simulated)).candidates(mode: .automatic)
        #expect(candidates.changers.first?.bays.map(\.drive?.sgPath) == ["/dev/sg2", "/dev/sg1"])
    }

    @Test("a changer still becoming ready is offered with the reason, and its drives are still listed")
    func becomingReady() async throws {
        var quirks = QuirkSet()
        quirks.becomingReadySeconds = 300
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial)], quirks: quirks)
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg1", address: address(1), transport: simulated.driveTransport(0))
        source.add(path: "/dev/sg3", address: address(3), transport: simulated.changerTransport)
        let candidates = try await CandidateFinder(source: source).candidates(mode: .automatic)
        let group = try #require(candidates.changers.first)
        #expect(group.problem?.code == .changerNotQueried)
        #expect(group.problem?.message.contains("NOT READY") == true, "\(group.problem?.message ?? "")")
        #expect(candidates.drives.map(\.drive.sgPath) == ["/dev/sg1"])
        #expect(candidates.drives.first?.problem?.message.contains("could not be queried") == true)
    }

    @Test("manual mode lists every changer and drive of two libraries")
    func manualMode() async throws {
        let first = try library(drives: [("L1-D0", .t10VendorProductSerial)])
        let second = try library(drives: [("L2-D0", .none), ("L2-D1", .serialOnly)], changerSerial: "78A0888888")
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg10", address: address(10), transport: first.changerTransport)
        source.add(path: "/dev/sg11", address: address(11), transport: first.driveTransport(0))
        source.add(path: "/dev/sg12", address: address(12), transport: second.changerTransport)
        source.add(path: "/dev/sg13", address: address(13), transport: second.driveTransport(1))
        source.add(path: "/dev/sg14", address: address(14), transport: second.driveTransport(0))
        let finder = CandidateFinder(source: source)

        let manual = try await finder.candidates(mode: .manual)
        #expect(manual.changers.map(\.changer.sgPath) == ["/dev/sg10", "/dev/sg12"])
        #expect(manual.drives.map(\.drive.sgPath) == ["/dev/sg11", "/dev/sg13", "/dev/sg14"])
        #expect(manual.changers.allSatisfy { $0.bays.isEmpty })

        let automatic = try await finder.candidates(mode: .automatic)
        #expect(automatic.changers[0].bays.map(\.drive?.sgPath) == ["/dev/sg11"])
        #expect(automatic.changers[1].bays.map(\.drive?.sgPath) == [nil, "/dev/sg13"])
        #expect(automatic.drives.map(\.drive.sgPath) == ["/dev/sg14"])
        #expect(try await finder.driveCandidates(forChanger: "/dev/sg12", mode: .automatic).map(\.drive.sgPath) == ["/dev/sg13"])
        #expect(try await finder.driveCandidates(forChanger: "/dev/sg12", mode: .manual).count == 3)
    }

    @Test("candidate info for a changer path: INQUIRY, element counts, slots with barcodes")
    func changerInfo() async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial), ("SIMDRIVE-B", .none)])
        let info = try await CandidateFinder(source: swappedSource(simulated)).changerInfo(sgPath: "/dev/sg3")
        #expect((info.vendor, info.product, info.revision) == ("IBM", "3573-TL", "F.10"))
        #expect(info.serial == "78A0999999")
        #expect(info.elementCounts == ElementCounts(transports: 1, storage: 6, importExport: 2, dataTransfer: 2))
        #expect(info.slots.map(\.number) == Array(1...8))
        #expect(info.slots.map(\.importExport) == Array(repeating: false, count: 6) + [true, true])
        #expect(info.slots.filter(\.full).map(\.number) == [1, 4, 8])
        #expect(info.slots.compactMap(\.barcode) == ["A00001L9", "A00002L9", "A00003L9"])
        #expect(info.slots.first?.elementAddress == simulated.elementAddress(.slot(1)))
        #expect(info.drives.map(\.serial) == ["SIMDRIVE-A", nil])
        #expect(info.drives.first?.identifier?.contains("ULT3580-TD9") == true)
        #expect(info.identifierProblem == nil)
    }

    @Test("candidate info for a drive's path says it is not a changer")
    func infoForDrive() async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial)])
        await #expect(throws: DiscoveryError.self) {
            try await CandidateFinder(source: swappedSource(simulated)).changerInfo(sgPath: "/dev/sg2")
        }
        do {
            _ = try await CandidateFinder(source: swappedSource(simulated)).changerInfo(sgPath: "/dev/sg2")
        } catch {
            #expect(error.code == .notAChanger)
        }
    }
}

@Suite("Device tracker against hwsim")
struct HWSimTrackerTests {
    @Test("a registered drive that disappears goes offline; back under another sg number it is re-bound by serial")
    func offlineAndRebound() async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial), ("SIMDRIVE-B", .t10VendorProductSerial)])
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg1", address: address(1), transport: simulated.driveTransport(0))
        source.add(path: "/dev/sg2", address: address(2), transport: simulated.driveTransport(1))
        source.add(path: "/dev/sg3", address: address(3), transport: simulated.changerTransport)
        let tracker = DeviceTracker(source: source)
        let drive = RegisteredDevice(serial: "SIMDRIVE-B", kind: .drive)
        let changer = RegisteredDevice(serial: "78A0999999", kind: .changer)
        guard case .online(let bound) = try await tracker.register(drive) else {
            Issue.record("the drive is visible and should be online")
            return
        }
        #expect(bound.sgPath == "/dev/sg2")
        _ = try await tracker.register(changer)

        let changes = await tracker.changes()
        let service = Task { try await tracker.run() }
        defer { service.cancel() }
        var iterator = changes.makeAsyncIterator()

        // Unplugged: the service learns it from the remove event, not from polling.
        source.remove(path: "/dev/sg2")
        var offline: DeviceOfflineError?
        while offline == nil, let change = await iterator.next() {
            if case .wentOffline(let error) = change { offline = error }
        }
        #expect(offline?.device == drive)
        #expect(offline?.lastPath == "/dev/sg2")
        #expect(offline?.description == "drive with serial SIMDRIVE-B (/dev/sg2) disappeared from this host; "
            + "it is offline until it is reconnected")
        #expect(await tracker.presence(of: drive) == .offline(DeviceOfflineError(device: drive, lastPath: "/dev/sg2")))

        // Plugged back in, probed as another sg node.
        source.add(path: "/dev/sg7", address: address(7), transport: simulated.driveTransport(1))
        var rebound: (from: String?, to: DiscoveredDevice)?
        while rebound == nil, let change = await iterator.next() {
            if case .rebound(let device, let from, let to) = change, device == drive { rebound = (from, to) }
        }
        #expect(rebound?.from == "/dev/sg2")
        #expect(rebound?.to.sgPath == "/dev/sg7")
        guard case .online(let now) = await tracker.presence(of: drive) else {
            Issue.record("the drive should be online again")
            return
        }
        #expect(now.sgPath == "/dev/sg7")
        // The changer never left.
        guard case .online(let changerNow) = await tracker.presence(of: changer) else {
            Issue.record("the changer should have stayed online")
            return
        }
        #expect(changerNow.sgPath == "/dev/sg3")
    }

    /// The hwsim source, except that its hotplug events cannot be opened (as on a host where
    /// netlink is not available).
    private struct SourceWithoutEvents: DiscoverySource {
        let inner: TransportDiscoverySource
        var name: String { "hwsim without events" }
        func devices() async throws(DiscoveryError) -> [DiscoveredDevice] { try await inner.devices() }
        func transport(for sgPath: String) async throws(DiscoveryError) -> any SCSITransport {
            try await inner.transport(for: sgPath)
        }
        func deviceEvents() -> AsyncThrowingStream<DeviceEvent, any Error> {
            AsyncThrowingStream { $0.finish(throwing: DiscoveryError(.udevUnavailable, "no netlink here")) }
        }
    }

    @Test("without hotplug events the tracker polls, and still notices a drive going away")
    func pollingFallback() async throws {
        let simulated = try library(drives: [("SIMDRIVE-A", .t10VendorProductSerial)])
        let inner = TransportDiscoverySource()
        inner.add(path: "/dev/sg1", address: address(1), transport: simulated.driveTransport(0))
        let tracker = DeviceTracker(source: SourceWithoutEvents(inner: inner), pollInterval: .milliseconds(20))
        let drive = RegisteredDevice(serial: "SIMDRIVE-A", kind: .drive)
        _ = try await tracker.register(drive)
        let changes = await tracker.changes()
        let service = Task { try await tracker.run() }
        inner.remove(path: "/dev/sg1")
        var offline = false
        for await change in changes {
            if case .wentOffline(let error) = change, error.device == drive {
                offline = true
                break
            }
        }
        #expect(offline)
        service.cancel()
        // Cancelling the service ends run().
        await #expect(throws: CancellationError.self) { try await service.value }
    }
}
