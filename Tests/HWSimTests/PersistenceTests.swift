import Foundation
import SCSI
import Testing
@testable import HWSim

/// The state directory: library layout and cartridge contents survive a restart.
@Suite struct PersistenceTests {
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("hwsim-state-\(UUID().uuidString)")
    }

    @Test func stateSurvivesARestart() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var profile = try LibraryProfile.named("midsize")
        profile.powerOnUnitAttention = false
        do {
            let lib = try SimulatedLibrary(profile: profile, stateDirectory: dir)
            let t = try await Sim.load(lib, slot: 1, drive: 0)
            #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 3, 0], [1, 2, 3]).status == .good)
            #expect(try await Sim.run(t, [0x10, 0, 0, 0, 1, 0]).status == .good)
            #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 2, 0], [4, 5]).status == .good)
            let attr: [UInt8] = [0, 0, 0, 13, 0x08, 0x06, 0x01, 0x00, 0x08] + Array("B00001L8".utf8)
            #expect(try await Sim.send(t, [0x8D, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0], attr).status == .good)
            // Back to slot 70; the move saves the layout, save() writes the tape.
            #expect(try await Sim.move(lib, from: 0x100, to: lib.elementAddress(.slot(70))).status == .good)
            try lib.save()
        }
        // The cartridge directory is in the LTFS file-backend layout.
        let tape = dir.appendingPathComponent("cartridges/B00001L8")
        let files = try FileManager.default.contentsOfDirectory(atPath: tape.path).sorted()
        #expect(files == ["0_0_R", "0_1_F", "0_2_R", "0_3_E", "attr_0_806", "attr_0_9", "filedebug_tc_conf.xml"])
        #expect(try Data(contentsOf: tape.appendingPathComponent("0_2_R")) == Data([4, 5]))
        #expect(try Data(contentsOf: tape.appendingPathComponent("attr_0_806")) == Data(attr(0x0806)))

        let again = try SimulatedLibrary(profile: profile, stateDirectory: dir)
        #expect(again.location(of: "B00001L8") == .slot(70))
        #expect(again.barcode(at: .slot(1)) == nil)
        // The drive reports power-on first: a new process is a power cycle.
        let t = try await Sim.load(again, slot: 70, drive: 1)
        #expect(try await Sim.run(t, [0x08, 0, 0, 0, 3, 0], in: 3).data == [1, 2, 3])
        #expect(try await Sim.run(t, [0x08, 0, 0, 0, 3, 0], in: 3).senseTriple == [0x00, 0x00, 0x01])
        #expect(try await Sim.run(t, [0x08, 0x02, 0, 0, 3, 0], in: 3).data == [4, 5])

        func attr(_ id: UInt16) -> [UInt8] { [0x08, 0x06, 0x01, 0x00, 0x08] + Array("B00001L8".utf8) }
    }

    @Test func movesAreSavedWithoutExplicitSave() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var profile = try LibraryProfile.named("autoloader")
        profile.powerOnUnitAttention = false
        do {
            let lib = try SimulatedLibrary(profile: profile, stateDirectory: dir)
            #expect(try await Sim.move(lib, from: 0x1000, to: 0x1006).status == .good)
        }
        let again = try SimulatedLibrary(profileNamed: "midsize", stateDirectory: dir)  // the saved profile wins
        #expect(again.profile.name == "autoloader")
        #expect(again.location(of: "A00001L8") == .slot(7))
        #expect(again.inventory().map(\.barcode) == ["A00002L8", "A00003L8", "A00004L8", "A00005L8", "A00006L8", "A00001L8", "CLN001L1"])
        // Blank cartridges need no directory.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("cartridges/A00002L8").path))
    }

    @Test func profileWithAnImageInAStateDirectory() async throws {
        let image = try #require(FixtureRoundTripTests.fixtures).appendingPathComponent("fresh_rules")
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var profile = try LibraryProfile.named("autoloader")
        profile.powerOnUnitAttention = false
        profile.drives[0].generation = .lto6
        profile.cartridges[0] = CartridgeProfile(barcode: "RUL001L5", generation: .lto5, location: .slot(1), image: image.path)
        _ = try SimulatedLibrary(profile: profile, stateDirectory: dir)
        let copy = dir.appendingPathComponent("cartridges/RUL001L5")
        #expect(try Data(contentsOf: copy.appendingPathComponent("1_5_R")) == Data(contentsOf: image.appendingPathComponent("1_5_R")))
        #expect(try Data(contentsOf: copy.appendingPathComponent("attr_0_80c")) == Data(contentsOf: image.appendingPathComponent("attr_0_80c")))
    }

    @Test func profilesDecodeAndValidate() throws {
        let auto = try LibraryProfile.named("autoloader")
        #expect(auto.drives.count == 1 && auto.storageSlots == 8 && auto.importExportSlots == 0)
        #expect(auto.cartridges.filter { $0.kind == .data }.count == 6)
        #expect(auto.cartridges.filter { $0.kind == .cleaning }.count == 1)
        let mid = try LibraryProfile.named("midsize")
        #expect(mid.drives.map(\.generation) == [.lto8, .lto8, .lto9, .lto9])
        #expect(mid.storageSlots == 80 && mid.importExportSlots == 5)
        let data = mid.cartridges.filter { $0.kind != .cleaning && { if case .slot = $0.location { return true } else { return false } }($0) }
        #expect(data.count == 60)
        #expect(data.filter { $0.kind == .worm }.count == 2)
        #expect(data.filter { $0.generation == .lto6 }.count == 1)
        #expect(mid.cartridges.filter { $0.kind == .cleaning }.count == 2)
        #expect(mid.cartridges.filter { if case .mailSlot = $0.location { return true } else { return false } }.count == 2)
        let large = try LibraryProfile.named("large")
        #expect(large.drives.count == 24 && large.storageSlots == 10_000 && large.importExportSlots == 40)
        #expect(throws: ProfileError.self) { try LibraryProfile.named("nonesuch") }
        // A profile whose ranges overlap is refused.
        var bad = auto
        bad.addresses.dataTransfer = 0x1002
        #expect(throws: ProfileError.self) { try bad.validate() }
        // Round trip through JSON.
        let json = try JSONEncoder().encode(mid)
        #expect(try JSONDecoder().decode(LibraryProfile.self, from: json) == mid)
    }
}
