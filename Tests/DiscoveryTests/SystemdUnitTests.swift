import Foundation
import Testing

/// systemd unit file settings: key → values (a key may repeat, e.g. DeviceAllow).
private func unitSettings(_ text: String) -> [String: [String]] {
    var settings: [String: [String]] = [:]
    for line in text.split(separator: "\n") {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix("["), let equals = trimmed.firstIndex(of: "=") else { continue }
        settings[String(trimmed[..<equals]), default: []].append(String(trimmed[trimmed.index(after: equals)...]))
    }
    return settings
}

@Suite("systemd unit")
struct SystemdUnitTests {
    let unitPath = udevDirectory + "/tapelib.service"

    @Test("a dedicated user in group tape, state directory, hardening, restart, a stop timeout longer than a move")
    func settings() throws {
        let settings = unitSettings(try String(contentsOfFile: unitPath, encoding: .utf8))
        #expect(settings["User"] == ["tapelib"])
        #expect(settings["SupplementaryGroups"] == ["tape"])
        #expect(settings["StateDirectory"] == ["tapelib"])
        #expect(settings["ProtectSystem"] == ["strict"])
        #expect(settings["NoNewPrivileges"] == ["yes"])
        #expect(settings["PrivateTmp"] == ["yes"])
        #expect(settings["DevicePolicy"] == ["closed"])
        #expect(Set(settings["DeviceAllow"] ?? []) == ["char-sg rw", "char-st rw"])
        #expect(settings["Restart"] == ["on-failure"])
        // MOVE MEDIUM may take 300 s and LOAD/UNLOAD up to 1,020 s (scsi-reference.md).
        let timeout = try #require(settings["TimeoutStopSec"]?.first)
        let minutes = try #require(Int(timeout.replacingOccurrences(of: "min", with: "")))
        #expect(minutes * 60 > 1_020)
        #expect(settings["ExecStart"]?.first?.contains("tapelib serve") == true)
    }

    /// `systemd-analyze verify` exits 0 even for unknown keys and bad values; it reports them
    /// on stderr prefixed with the unit's path, which is what is checked here. ExecStart is
    /// pointed at /bin/true because the binary is not installed on a build machine.
    private func verifyWarnings(_ unit: String) throws -> [String] {
        let analyze = try #require(Command.find("systemd-analyze"))
        let directory = try TemporaryDirectory("unit")
        defer { directory.remove() }
        let path = directory.path + "/tapelib.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/tapelib", with: "/bin/true")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let output = try Command.run(analyze, ["verify", path])
        return (output.stdout + output.stderr).split(separator: "\n").map(String.init).filter { $0.contains(path) }
    }

    @Test("systemd-analyze verify accepts the unit", .enabled(if: Command.find("systemd-analyze") != nil))
    func verify() throws {
        let unit = try String(contentsOfFile: unitPath, encoding: .utf8)
        let warnings = try verifyWarnings(unit)
        #expect(warnings.isEmpty, "\(warnings)")
        // The check sees mistakes: a misspelt key and a bad value are reported.
        let broken = unit.replacingOccurrences(of: "\nProtectSystem=strict\n", with: "\nProtectSystem=banana\nNoNewPrivilege=yes\n")
        #expect(try verifyWarnings(broken).count == 2)
    }
}
