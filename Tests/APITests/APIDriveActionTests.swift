import Catalog
import Foundation
import Synchronization
import Testing
@testable import API

/// tapelib's additions for the web page: loading and unloading a drive, and the copy parts on a
/// cartridge. The tasks they queue run on the simulated library; the catalog is read back.
@Suite("Drive load and unload, and a cartridge's copies, through the API")
struct APIDriveActionTests {
    /// Waits for task `id` to end (the service runs meanwhile); its final row.
    func waitForTask(_ harness: APIHarness, _ id: Int64) async throws -> LibraryTask {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let row = try await harness.catalog.libraryTask(id: id), row.status.isFinal { return row }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("task \(id) did not end")
    }

    /// Runs the service (its start-up sync first) around `body`.
    func serving(_ harness: APIHarness, _ body: () async throws -> Void) async throws {
        let service = harness.server.service
        let runner = Task { try await service.run(maximumShutdown: .seconds(60)) }
        defer { runner.cancel() }
        let deadline = ContinuousClock.now + .seconds(120)
        while try await harness.catalog.library(id: 1)?.syncState != .synced {
            guard ContinuousClock.now < deadline else { throw HarnessError("the start-up sync did not end") }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await body()
        runner.cancel()
        _ = await runner.result
    }

    func taskID(_ answer: Answer) -> Int64? {
        ((answer.data as? [String: Any])?["task_ids"] as? [Int]).flatMap(\.first).map(Int64.init)
    }

    @Test("a load puts the named cartridge into the drive and an unload takes it home; bad requests are refused before anything is queued")
    func loadAndUnload() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await serving(harness) {
            let drive = try #require(try await harness.catalog.drive(id: 1))
            let element = try #require(drive.sysTransferElement)
            let cartridge = try #require(try await harness.catalog.cartridge(volumeTag: "B00001L8"))
            let home = try #require(cartridge.slotId)
            let queuedBefore = try await harness.catalog.listLibraryTasks(ListQuery(limit: 100)).items.count
            let loadID = Mutex<Int64?>(nil)
            try await harness.test { client in
                let session = try await client.login()
                for (body, status) in [(#"{"data": {}}"#, 400), (#"{"data": {"volume_tag": ""}}"#, 400),
                                       (#"{"data": {"volume_tag": "NOSUCH"}}"#, 404),
                                       (#"{"data": {"volume_tag": "B00001L8", "slot": 1}}"#, 400)] {
                    let refused = try await client.call(.patch, "/api/v1/library_tape_drives/1/load", session: session, json: body)
                    #expect(refused.status == status, "\(body): \(refused.json)")
                }
                #expect(try await client.call(.patch, "/api/v1/library_tape_drives/99/load", session: session,
                                              json: #"{"data": {"volume_tag": "B00001L8"}}"#).status == 404)
                let load = try await client.call(.patch, "/api/v1/library_tape_drives/1/load", session: session,
                                                 json: #"{"data": {"volume_tag": "B00001L8"}}"#)
                #expect(load.status == 200, "\(load.json)")
                loadID.withLock { $0 = taskID(load) }
            }
            // Refused requests queued nothing; the load queued one task.
            #expect(try await harness.catalog.listLibraryTasks(ListQuery(limit: 100)).items.count == queuedBefore + 1)
            let loaded = try await waitForTask(harness, try #require(loadID.withLock { $0 }))
            #expect(loaded.status == .done, "\(loaded.errorMessage ?? "")")
            #expect(try await harness.catalog.slot(library: 1, address: element)?.volumeTag == "B00001L8")
            let unloadID = Mutex<Int64?>(nil)
            try await harness.test { client in
                let session = try await client.login()
                let again = try await client.call(.patch, "/api/v1/library_tape_drives/2/load", session: session,
                                                  json: #"{"data": {"volume_tag": "B00001L8"}}"#)
                #expect(again.status == 409, "a cartridge already in a drive: \(again.json)")
                let unload = try await client.call(.patch, "/api/v1/library_tape_drives/1/unload", session: session)
                #expect(unload.status == 200, "\(unload.json)")
                unloadID.withLock { $0 = taskID(unload) }
            }
            let unloaded = try await waitForTask(harness, try #require(unloadID.withLock { $0 }))
            #expect(unloaded.status == .done, "\(unloaded.errorMessage ?? "")")
            #expect(try await harness.catalog.slot(library: 1, address: element)?.full == false)
            #expect(try await harness.catalog.cartridge(volumeTag: "B00001L8")?.slotId == home)
        }
    }

    @Test("a supervisor may not load or unload; a drive outside a library cannot")
    func refusals() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        try await harness.addUser("viewer", roles: [.supervisor])
        try await harness.test { client in
            let viewer = try await client.login("viewer")
            #expect(try await client.call(.patch, "/api/v1/library_tape_drives/1/unload", session: viewer).status == 403)
            let session = try await client.login()
            #expect(try await client.call(.delete, "/api/v1/library_tape_drives", session: session, json: #"{"ids": [2]}"#).status == 200)
            #expect(try await client.call(.patch, "/api/v1/library_tape_drives/2/unload", session: session).status == 409)
            #expect(try await client.call(.patch, "/api/v1/library_tape_drives/2/load", session: session,
                                          json: #"{"data": {"volume_tag": "B00001L8"}}"#).status == 409)
        }
    }

    @Test("a cartridge's copies list each part with its record, and an unknown cartridge is 404")
    func copiesOnACartridge() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        let cartridge = try #require(try await harness.catalog.cartridge(volumeTag: "B00002L8"))
        let cartridgeID = try #require(cartridge.id)
        let pool = try await harness.catalog.insert(Pool(name: "tape-a", type: .tapeLibrary))
        let poolID = try #require(pool.id)
        let record = try await harness.catalog.insert(BackupRecord(client: "c", resource: "/r", resourceType: "file", backupType: .full,
                                                                   poolId: poolID, sizeBytes: 10))
        let recordID = try #require(record.id)
        _ = try await harness.catalog.recordCopy(of: recordID, inPool: poolID, state: .complete, extents: [
            RepositoryCopyExtent(copyId: 0, partIndex: 0, cartridgeId: cartridgeID, tapeFileNumber: 3, firstBlock: 10,
                                 lastBlock: 10, byteOffset: 0, byteCount: 10),
        ])
        try await harness.test { client in
            let session = try await client.login()
            let answer = try await client.call(.get, "/api/v1/tape_cartridges/\(cartridgeID)/copies", session: session)
            #expect(answer.status == 200, "\(answer.json)")
            let parts = try #require(answer.data as? [[String: Any]])
            #expect(parts.count == 1)
            #expect(parts.first?["repository_id"] as? Int == Int(recordID))
            #expect(parts.first?["tape_file_number"] as? Int == 3)
            #expect(parts.first?["state"] as? String == "complete")
            #expect(try await client.call(.get, "/api/v1/tape_cartridges/999999/copies", session: session).status == 404)
            let other = try #require(try await harness.catalog.cartridge(volumeTag: "B00003L8")?.id)
            let none = try await client.call(.get, "/api/v1/tape_cartridges/\(other)/copies", session: session)
            #expect((none.data as? [Any])?.isEmpty == true)
            let filtered = try await client.call(.get, "/api/v1/tape_cartridges?filter_data=slot_id%3D%22\(cartridge.slotId ?? 0)%22",
                                                 session: session)
            #expect((filtered.data as? [[String: Any]])?.compactMap { $0["volume_tag"] as? String } == ["B00002L8"])
        }
    }
}

@Suite("Slots in exception through the API")
struct APISlotExceptionTests {
    @Test("an element in exception carries its ASC/ASCQ and the standard's text (SPC-4 annex F); others carry none")
    func exceptionText() {
        let jammed = SlotView(LibrarySlot(id: 7, libraryId: 1, elementAddress: 4100, kind: .storage, full: true,
                                          volumeTag: "A00001L9", exception: true, asc: 0x3B, ascq: 0x0E))
        #expect(jammed.exceptionText == "Medium source element empty")
        let vendor = SlotView(LibrarySlot(libraryId: 1, elementAddress: 1, kind: .storage, exception: true, asc: 0x83, ascq: 0x01))
        #expect(vendor.exceptionText == "Vendor specific ASC 83h ASCQ 01h")
        let fine = SlotView(LibrarySlot(libraryId: 1, elementAddress: 2, kind: .storage, asc: 0x3B, ascq: 0x0E))
        #expect(fine.exceptionText == nil)
        let outOfRange = SlotView(LibrarySlot(libraryId: 1, elementAddress: 3, kind: .storage, exception: true, asc: 300, ascq: 0))
        #expect(outOfRange.exceptionText == nil)
    }
}
