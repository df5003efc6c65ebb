import Foundation
import HWSim
import Testing

/// `tapelib changer …`, `drive …` and `inquiry` against each simulated profile and every
/// simulator fault kind, through the real executable.
@Suite(.serialized) struct ChangerCLITests {
    typealias Element = [String: Any]

    static func elements(_ status: [String: Any], _ key: String) -> [Element] {
        status[key] as? [Element] ?? []
    }

    /// mtx number → volume tag of every full element.
    static func occupancy(_ status: [String: Any]) -> [String: String] {
        var map: [String: String] = [:]
        for key in ["drives", "storage", "import_export"] {
            for e in elements(status, key) where e["full"] as? Bool == true {
                map["\(key)#\(e["number"] as? Int ?? -1)"] = e["volume_tag"] as? String ?? "?"
            }
        }
        return map
    }

    @Test(arguments: ["autoloader", "midsize", "large"])
    func statusJSONMatchesTheProfile(_ name: String) async throws {
        let profile = try LibraryProfile.named(name)
        let status = try await CLI.json(["changer", "status", "--device", "sim:\(name)", "--json"])
        let storage = Self.elements(status, "storage")
        let ie = Self.elements(status, "import_export")
        let drives = Self.elements(status, "drives")
        #expect(storage.count == profile.storageSlots)
        #expect(ie.count == profile.importExportSlots)
        #expect(drives.count == profile.drives.count)
        // Every entry has an element address, an mtx number, `full` and `volume_tag` (null when empty).
        for e in storage + ie + drives {
            #expect(e["address"] is Int)
            #expect(e["number"] is Int)
            #expect(e["full"] is Bool)
            #expect(e.keys.contains("volume_tag"))
        }
        #expect(storage.map { $0["number"] as? Int } == Array(1...profile.storageSlots))
        var expected: [String: String] = [:]
        for c in profile.cartridges {
            switch c.location {
            case .slot(let n): expected["storage#\(n)"] = c.barcode
            case .mailSlot(let n): expected["import_export#\(profile.storageSlots + n)"] = c.barcode
            case .drive(let n): expected["drives#\(n)"] = c.barcode
            }
        }
        #expect(Self.occupancy(status) == expected)
    }

    @Test func humanStatusIsMtxStyle() async throws {
        let r = try await CLI.run(["changer", "status", "--device", "sim:autoloader"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Data Transfer Element 0:Empty"))
        #expect(r.stdout.contains("Storage Element 1:Full :VolumeTag = "))
    }

    @Test func loadUnloadPersistsInTheStateDirectory() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["--device", "sim:midsize", "--sim-state", dir.path]
        let before = try await CLI.json(["changer", "status", "--json"] + base)
        let slot1 = try #require(Self.elements(before, "storage").first)
        let tag = try #require(slot1["volume_tag"] as? String)

        let load = try await CLI.run(["changer", "load", "--slot", "1", "--drive", "2"] + base)
        #expect(load.status == 0, "\(load.stderr)")
        let loaded = try await CLI.json(["changer", "status", "--json"] + base)
        #expect(Self.elements(loaded, "drives")[2]["volume_tag"] as? String == tag)
        #expect(Self.elements(loaded, "storage")[0]["full"] as? Bool == false)

        let drive = try await CLI.json(["drive", "status", "--drive", "2", "--json"] + base)
        #expect(drive["medium_loaded"] as? Bool == true)
        #expect(drive["serial"] as? String == "HU2130B001")
        #expect(drive["barcode"] as? String == tag)

        let unload = try await CLI.run(["changer", "unload", "--drive", "2"] + base)
        #expect(unload.status == 0, "\(unload.stderr)")
        let after = try await CLI.json(["changer", "status", "--json"] + base)
        #expect(Self.occupancy(after) == Self.occupancy(before))
    }

    @Test func transferAndMailSlot() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["--device", "sim:midsize", "--sim-state", dir.path]
        // Slot 61 is empty in midsize; mail slot 1 (number 81) holds E00001L9.
        let r = try await CLI.run(["changer", "transfer", "--from", "81", "--to", "61"] + base)
        #expect(r.status == 0, "\(r.stderr)")
        let status = try await CLI.json(["changer", "status", "--json"] + base)
        #expect(Self.elements(status, "storage")[60]["volume_tag"] as? String == "E00001L9")
        #expect(Self.elements(status, "import_export")[0]["full"] as? Bool == false)
    }

    @Test func inquiryOfChangerAndDrive() async throws {
        let changer = try await CLI.json(["inquiry", "--device", "sim:midsize", "--json"])
        #expect(changer["device_type"] as? String == "medium changer")
        #expect(changer["serial"] as? String == "DEC1234567")
        let drive = try await CLI.json(["inquiry", "--device", "sim:midsize", "--drive", "0", "--json"])
        #expect(drive["device_type"] as? String == "tape")
        #expect(drive["serial"] as? String == "HU1820A001")
    }

    // MARK: Refusals and faults: decoded sense on stderr, non-zero exit, state unchanged.

    /// Runs a failing command on a state directory and checks the library is unchanged.
    func expectFailure(_ args: [String], faults: [String] = [], exit: Int32 = 1,
                       mentions: [String]) async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["--device", "sim:midsize", "--sim-state", dir.path]
        let before = try await CLI.json(["changer", "status", "--json"] + base)
        let r = try await CLI.run(args + base + faults.flatMap { ["--sim-fault", $0] })
        #expect(r.status == exit, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        for m in mentions { #expect(r.stderr.contains(m), "stderr lacks '\(m)': \(r.stderr)") }
        let after = try await CLI.json(["changer", "status", "--json"] + base)
        #expect(Self.occupancy(after) == Self.occupancy(before))
    }

    @Test func loadFromAnEmptySlotIsRefused() async throws {
        try await expectFailure(["changer", "load", "--slot", "70", "--drive", "0"], mentions: ["slot 70 is empty"])
    }

    @Test func moveFromAnEmptyElementReportsTheDevicesSense() async throws {
        // Element 0x1000 + 69 = slot 70, empty in midsize; drive 0 is 0x100.
        try await expectFailure(["changer", "move", "--from", "\(0x1000 + 69)", "--to", "256"],
                          mentions: ["ILLEGAL REQUEST", "3Bh/0Eh"])
    }

    @Test func robotJam() async throws {
        try await expectFailure(["changer", "load", "--slot", "1", "--drive", "0"], faults: ["jam"],
                          mentions: ["HARDWARE ERROR", "sense: key 4h"])
    }

    @Test func injectedSenseOnMoveMedium() async throws {
        try await expectFailure(["changer", "load", "--slot", "1", "--drive", "0"], faults: ["sense:0:A5:5/53/02"],
                          mentions: ["MOVE MEDIUM", "53h/02h"])
    }

    @Test func vanishedChangerExitsTwo() async throws {
        try await expectFailure(["changer", "status"], faults: ["gone:0"], exit: 2, mentions: ["gone"])
    }

    @Test func changerNeverReady() async throws {
        try await expectFailure(["changer", "status"], faults: ["not-ready:0:100000"],
                          mentions: ["NOT READY", "04h/01h"])
    }

    @Test func changerBecomesReady() async throws {
        let r = try await CLI.run(["changer", "status", "--device", "sim:midsize", "--sim-fault", "not-ready:0:60"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func driveCleaningAndTapeAlertsShowInStatus() async throws {
        let status = try await CLI.json(["drive", "status", "--device", "sim:midsize", "--drive", "1", "--json",
                                   "--sim-fault", "clean:1", "--sim-fault", "alert:1:4,1E"])
        let flags = (status["tape_alerts"] as? [[String: Any]] ?? []).compactMap { $0["flag"] as? Int }
        #expect(flags == [0x04, 0x14, 0x1E])
    }

    @Test func vanishedDrive() async throws {
        let r = try await CLI.run(["drive", "status", "--device", "sim:midsize", "--drive", "3", "--sim-fault", "gone:4"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("gone"))
    }

    @Test func mediaErrorFaultIsAcceptedAndEraseStillWorks() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["--device", "sim:midsize", "--sim-state", dir.path]
        let loaded = try await CLI.run(["changer", "load", "--slot", "30", "--drive", "3"] + base)
        #expect(loaded.status == 0)
        let erase = try await CLI.run(["drive", "erase", "--long", "--drive", "3"] + base
                                + ["--sim-fault", "media-error:C00001L9:5"])
        #expect(erase.status == 0, "\(erase.stderr)")
        #expect(erase.stderr.contains("100%"))
    }

    @Test(arguments: ["dvcid-voltag", "alloc16", "becoming-ready", "no-mode-sense-10",
                      "back-to-back-move", "overlapping-pages"])
    func quirksDoNotChangeTheInventory(_ quirk: String) async throws {
        let plain = try await CLI.json(["changer", "status", "--device", "sim:midsize", "--json"])
        let quirky = try await CLI.json(["changer", "status", "--device", "sim:midsize", "--json",
                                   "--sim-fault", "quirk:\(quirk)"])
        #expect(Self.occupancy(quirky) == Self.occupancy(plain))
        let serials = { (s: [String: Any]) in Self.elements(s, "drives").map { $0["drive_serial"] as? String } }
        #expect(serials(quirky) == serials(plain))
    }

    @Test func badInputIsAUsageError() async throws {
        let r = try await CLI.run(["changer", "status", "--device", "floppy:0"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("invalid device"))
        let f = try await CLI.run(["changer", "status", "--device", "sim:midsize", "--sim-fault", "meteor"])
        #expect(f.status == 64)
    }
}
