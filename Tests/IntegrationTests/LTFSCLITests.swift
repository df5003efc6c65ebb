import Foundation
import Testing

/// `tapelib ltfs check|format` through the real executable, on the LTFS reference volumes
/// (written by the reference implementation, ../shared/fixtures/ltfs-reference) and on
/// cartridges it formats itself. Exit codes: 0 consistent, 1 recoverable, 2 otherwise.
@Suite struct LTFSCLITests {
    static let fixtures: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = dir.appendingPathComponent("shared/fixtures/ltfs-reference")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/nonexistent")
    }()

    /// ltfs.md's table of verdicts for the shared fixtures.
    static let expected: [(String, Int32)] = [
        ("fresh_ABC123_named", 0), ("fresh_nobarcode", 0), ("fresh_nocompress_256k", 0), ("fresh_rules", 0),
        ("bad_dp_unflushed_data", 1), ("bad_ip_index_missing", 1),
        ("bad_label_uuid_mismatch", 2), ("bad_no_vol1_ltfs", 2), ("bad_dp_eod_missing", 2),
        ("blank_unpartitioned", 2),
    ]

    /// A copy, so that nothing can change the shared fixture.
    static func copy(_ name: String) throws -> URL {
        let dir = try CLI.temporaryDirectory().appendingPathComponent(name)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: dir)
        return dir
    }

    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            files[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return files
    }

    @Test(arguments: expected)
    func checkGivesTheReferenceVerdictAndWritesNothing(_ image: String, _ exit: Int32) async throws {
        let dir = try Self.copy(image)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let before = try Self.snapshot(dir)
        let r = try await CLI.run(["ltfs", "check", "--image", dir.path, "--json"])
        #expect(r.status == exit, "\(image): \(r.stdout) \(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(report?["verdict"] != nil, "\(r.stdout)")
        #expect(try Self.snapshot(dir) == before, "the check changed the image")
    }

    @Test func formatThenCheckIsConsistent() async throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let image = root.appendingPathComponent("new")
        let f = try await CLI.run(["ltfs", "format", "--image", image.path, "--barcode", "ABC123L5",
                                   "--name", "Bänder für Ärzte", "--block-size", "262144", "--no-compression"])
        #expect(f.status == 0, "\(f.stdout) \(f.stderr)")
        // VOL1 is byte-identical to the reference's for the same barcode (ltfs.md).
        let vol1 = try Data(contentsOf: image.appendingPathComponent("0_0_R"))
        let reference = try Data(contentsOf: Self.fixtures.appendingPathComponent("fresh_ABC123_named/0_0_R"))
        #expect(vol1 == reference)
        let c = try await CLI.run(["ltfs", "check", "--image", image.path])
        #expect(c.status == 0, "\(c.stdout) \(c.stderr)")
    }

    @Test func formatRefusesACartridgeWithDataWithoutForce() async throws {
        let dir = try Self.copy("fresh_ABC123_named")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let before = try Self.snapshot(dir)
        let r = try await CLI.run(["ltfs", "format", "--image", dir.path, "--barcode", "ABC123L5"])
        #expect(r.status != 0)
        #expect(try Self.snapshot(dir) == before)
    }
}
