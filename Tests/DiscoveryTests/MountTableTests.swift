import Foundation
import Testing
@testable import Discovery

@Suite("mountinfo")
struct MountTableTests {
    @Test("the root mount's device number is that of stat(\"/\")")
    func rootMountMatchesStat() throws {
        var info = stat()
        try #require(stat("/", &info) == 0)
        // glibc's major()/minor() (sys/sysmacros.h), which Swift cannot import as macros.
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xFFF) | ((device >> 32) & ~UInt64(0xFFF))
        let minor = (device & 0xFF) | ((device >> 12) & ~UInt64(0xFF))
        let expected = "\(major):\(minor)"
        let root = try #require(MountTable.current().last { $0.mountPoint == "/" })
        #expect(root.majorMinor == expected)
    }

    @Test("escaped mount points are decoded (a tmpfs mounted on a path with a space and a tab)",
          .enabled(if: isRoot, "needs root to mount"))
    func escapedMountPoint() throws {
        let directory = try TemporaryDirectory("mountinfo")
        defer { directory.remove() }
        let mountPoint = directory.path + "/with space\tand tab"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try Command.run(try #require(Command.find("mount")), ["-t", "tmpfs", "tapelib-test", mountPoint])
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? Command.run(Command.find("umount") ?? "/bin/umount", [mountPoint]) }
        let entry = try #require(MountTable.current().first { $0.mountPoint == mountPoint })
        #expect(entry.fsType == "tmpfs")
        #expect(entry.source == "tapelib-test")
    }

    @Test("malformed lines are skipped, not trapped on", arguments: [
        "", "garbage", "1 2 3", "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 -",
        "36 35 98:0 /mnt1 /mnt\\7 rw - ext3",
    ])
    func malformedLines(_ line: String) {
        #expect(MountTable.parse(line).isEmpty)
    }

    @Test("the example line from proc(5)")
    func manPageExample() throws {
        let line = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
        let entry = try #require(MountTable.parse(line).first)
        #expect(entry.majorMinor == "98:0")
        #expect(entry.mountPoint == "/mnt2")
        #expect(entry.fsType == "ext3")
        #expect(entry.source == "/dev/root")
    }

    @Test("random text never traps the parser")
    func randomText() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(" -\\0123456789:/\nabc")
        for _ in 0..<500 {
            let length = Int.random(in: 0...200, using: &generator)
            let text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
            for entry in MountTable.parse(text) {
                #expect(!entry.fsType.isEmpty)
            }
        }
    }
}
