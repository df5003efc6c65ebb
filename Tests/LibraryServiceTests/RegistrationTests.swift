import Catalog
import Discovery
import Foundation
import HWSim
import LibraryService
import Logging
import SCSI
import Testing

@Suite("Registering a library from discovery candidates, and queuing from another process")
struct RegistrationTests {
    /// The simulated library's devices under sg nodes, the drives in swapped order.
    private func source(_ simulated: SimulatedLibrary) -> TransportDiscoverySource {
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg3", address: SCSIAddress(host: 2, channel: 0, target: 0, lun: 0),
                   transport: simulated.changerTransport)
        source.add(path: "/dev/sg4", address: SCSIAddress(host: 2, channel: 0, target: 1, lun: 0),
                   transport: simulated.driveTransport(1))
        source.add(path: "/dev/sg5", address: SCSIAddress(host: 2, channel: 0, target: 2, lun: 0),
                   transport: simulated.driveTransport(0))
        return source
    }

    @Test func aCandidateBecomesALibraryWhoseDrivesAreMatchedBySerial() async throws {
        let simulated = try SimulatedLibrary(profile: TestRig.profile())
        let source = source(simulated)
        let catalog = TapeCatalog(try CatalogDatabase.inMemory())
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "hw-1"))
        let candidates = try await CandidateFinder(source: source).candidates(mode: .automatic)
        let candidate = try #require(candidates.changers.first)
        let registered = try await LibraryRegistration.register(candidate, mediaServer: try #require(server.id),
                                                                 catalog: catalog)
        let changerID = try #require(registered.library.mediumChangerId)
        let changer = try #require(try await catalog.changer(id: changerID))
        #expect(changer.serial == TestRig.changerSerial)
        #expect(changer.device == "/dev/sg3")
        #expect(changer.scsiPath == "[2:0:0:0]")
        // Bay 0 holds the drive at /dev/sg5 and bay 1 the one at /dev/sg4: matched by serial.
        let libraryID = try #require(registered.library.id)
        let drives = try await catalog.drives(library: libraryID)
        #expect(drives.map(\.serial) == TestRig.driveSerials)
        #expect(drives.map(\.device) == ["/dev/sg5", "/dev/sg4"])
        #expect(drives.map(\.sysTransferElement) == [0, 1].map { Int(simulated.elementAddress(.drive($0))) })

        // The same changer a second time is refused, and nothing is written.
        await #expect(throws: LibraryServiceError.self) {
            try await LibraryRegistration.register(candidate, mediaServer: try #require(server.id), catalog: catalog)
        }
        #expect(try await catalog.listLibraries(ListQuery()).total == 1)
    }

    @Test func aTaskQueuedThroughTheCatalogIsRunByTheService() async throws {
        let simulated = try SimulatedLibrary(profile: TestRig.profile())
        let catalog = TapeCatalog(try CatalogDatabase.inMemory())
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "hw-1"))
        let candidate = try #require(try await CandidateFinder(source: source(simulated)).candidates(mode: .automatic)
            .changers.first)
        let registered = try await LibraryRegistration.register(candidate, mediaServer: try #require(server.id),
                                                                catalog: catalog)
        let libraryID = try #require(registered.library.id)
        let service = MediaServerService(
            catalog: catalog, source: source(simulated),
            settings: .init(drivePollInterval: .milliseconds(2), retryInterval: .milliseconds(1),
                            queuePollInterval: .milliseconds(20)),
            logger: Logger(label: "test"))
        #expect(try await service.attachLibraries(ofMediaServer: "media-1") == [libraryID])
        #expect(try await service.attachLibraries(ofMediaServer: "elsewhere").isEmpty)

        // Refused before anything is queued: the drive is not in this library.
        await #expect(throws: LibraryServiceError.self) {
            try await LibraryTaskValidation.enqueue(LibraryTask(type: .erase, libraryId: libraryID, driveId: 999),
                                                    catalog: catalog)
        }
        let serving = Task { await service.engine.serve() }
        defer { serving.cancel() }   // a failed #require below must not leave the engine running
        // As another process would (the CLI, with no engine of its own): straight to the queue.
        let move = try await LibraryTaskValidation.enqueue(
            LibraryTask(type: .move, libraryId: libraryID, sourceElement: Int(simulated.elementAddress(.slot(1))),
                        targetElement: Int(simulated.elementAddress(.slot(9)))), catalog: catalog)
        // Generous: on a loaded 2-core machine (the whole suite and PostgreSQL beside it) the
        // move once took more than 30 s to start and finish.
        let deadline = ContinuousClock.now + .seconds(120)
        var last: LibraryTask?
        while ContinuousClock.now < deadline {
            let moveID = try #require(move.id)
            last = try await catalog.libraryTask(id: moveID)
            if last?.status.isFinal == true { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(last?.status == .done, "\(String(describing: last))")
        #expect(simulated.location(of: "E00001L9") == .slot(9))
        await service.engine.stopDispatching()
        await serving.value
    }

    /// A bay whose drive this host does not show is an error naming the serial the changer
    /// reports and the drives seen; nothing is written.
    @Test func aBayWithoutItsDriveIsAnErrorNamingTheSerials() async throws {
        let simulated = try SimulatedLibrary(profile: TestRig.profile())
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg3", address: SCSIAddress(host: 2, channel: 0, target: 0, lun: 0),
                   transport: simulated.changerTransport)
        source.add(path: "/dev/sg4", address: SCSIAddress(host: 2, channel: 0, target: 1, lun: 0),
                   transport: simulated.driveTransport(1))
        let catalog = TapeCatalog(try CatalogDatabase.inMemory())
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "hw-1"))
        let finder = CandidateFinder(source: source)
        let candidate = try #require(try await finder.candidates(mode: .automatic).changers.first)
        let seen = try await finder.candidates(mode: .manual).drives.map(\.drive)
        let serverID = try #require(server.id)
        do {
            _ = try await LibraryRegistration.register(candidate, mediaServer: serverID, drivesSeen: seen, catalog: catalog)
            Issue.record("a library with an unmatched bay was registered")
        } catch {
            let text = error.description
            #expect(text.contains("drive 0 (element \(simulated.elementAddress(.drive(0))), serial \(TestRig.driveSerials[0]))"),
                    "\(text)")
            #expect(text.contains("tape drives on this host: \(TestRig.driveSerials[1]) at /dev/sg4"), "\(text)")
        }
        #expect(try await catalog.listLibraries(ListQuery()).total == 0)
        #expect(try await catalog.listChangers(ListQuery()).total == 0)
    }

    /// A manual mapping overrides the match by serial.
    @Test func aManualDriveMappingOverridesTheAutomaticOne() async throws {
        let simulated = try SimulatedLibrary(profile: TestRig.profile())
        let catalog = TapeCatalog(try CatalogDatabase.inMemory())
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "hw-1"))
        let finder = CandidateFinder(source: source(simulated))
        let candidate = try #require(try await finder.candidates(mode: .automatic).changers.first)
        let seen = try await finder.candidates(mode: .manual).drives.map(\.drive)
        let sg4 = try #require(seen.first { $0.sgPath == "/dev/sg4" })
        let sg5 = try #require(seen.first { $0.sgPath == "/dev/sg5" })
        // Automatic: bay 0 → /dev/sg5, bay 1 → /dev/sg4 (by serial). The operator says otherwise.
        let registered = try await LibraryRegistration.register(candidate, mediaServer: try #require(server.id),
                                                                manualDrives: [0: sg4, 1: sg5], drivesSeen: seen,
                                                                catalog: catalog)
        #expect(registered.drives.map(\.device) == ["/dev/sg4", "/dev/sg5"])
        await #expect(throws: LibraryServiceError.self) {
            _ = try await LibraryRegistration.register(candidate, mediaServer: try #require(server.id),
                                                       manualDrives: [0: sg4, 1: sg4], catalog: catalog)
        }
    }
}
