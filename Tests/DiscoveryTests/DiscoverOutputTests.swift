import Foundation
import HWSim
import Testing
@testable import Discovery

/// The package's build folder, found from this file's path.
private let binary: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(".build/debug/tapelib").path
}()

/// Whether the built `tapelib` has the discover subcommand (it is registered by the lead).
private let discoverCommandBuilt: Bool = {
    guard FileManager.default.isExecutableFile(atPath: binary),
          let help = try? Command.run(binary, ["discover", "--help"]) else { return false }
    // An unknown subcommand makes the root print its own help, so look for discover's options.
    return help.status == 0 && help.stdout.contains("--candidates")
}()

private func checkDocument(_ data: Data) throws {
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let changers = try #require(object["changers"] as? [Any])
    let drives = try #require(object["drives"] as? [Any])
    let blockDevices = try #require(object["block_devices"] as? [[String: Any]])
    _ = (changers, drives)
    #expect(!blockDevices.isEmpty)
    let sysfsNames = Set(try FileManager.default.contentsOfDirectory(atPath: "/sys/class/block"))
    for device in blockDevices {
        let name = try #require(device["name"] as? String)
        #expect(sysfsNames.contains(name))
        #expect(device["path"] as? String == "/dev/\(name)")
        #expect(device["size"] is NSNumber)
        let type = try #require(device["type"] as? String)
        #expect(BlockDeviceType(rawValue: type) != nil)
        #expect(device["read_only"] is Bool)
    }
}

@Suite("discover output")
struct DiscoverOutputTests {
    @Test("JSON: an object with arrays changers, drives and block_devices; block devices with name, path, size, type")
    func reportJSON() async throws {
        let report = try await HostDevices.shared.exclusively {
            try await DiscoveryReport.scan(source: UdevDiscoverySource())
        }
        try checkDocument(try report.json())
    }

    @Test("tapelib discover --json prints that document", .enabled(if: discoverCommandBuilt, "tapelib discover is not built"))
    func command() async throws {
        let output = try await HostDevices.shared.exclusively { try Command.run(binary, ["discover", "--json"]) }
        #expect(output.status == 0, "\(output.stderr)")
        try checkDocument(Data(output.stdout.utf8))
        let text = try Command.run(binary, ["discover"])
        #expect(text.stdout.contains("Changers:") && text.stdout.contains("Drives:") && text.stdout.contains("Block devices:"))
    }

    @Test("tapelib discover --sim lists the simulator's changer and drives with candidates",
          .enabled(if: discoverCommandBuilt, "tapelib discover is not built"))
    func simulated() throws {
        let output = try Command.run(binary, ["discover", "--sim", "midsize", "--candidates", "automatic", "--json"])
        #expect(output.status == 0, "\(output.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let profile = try LibraryProfile.named("midsize")
        #expect((object["changers"] as? [Any])?.count == 1)
        #expect((object["drives"] as? [[String: Any]])?.compactMap { $0["serial"] as? String }
                == profile.drives.map(\.identity.serial))
        let candidates = try #require(object["candidates"] as? [String: Any])
        let bays = try #require(((candidates["changers"] as? [[String: Any]])?.first)?["bays"] as? [[String: Any]])
        #expect(bays.count == profile.drives.count)
        #expect(bays.allSatisfy { $0["drive"] != nil })
    }
}
