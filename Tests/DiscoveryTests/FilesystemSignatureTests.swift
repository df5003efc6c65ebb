import Foundation
import Testing
@testable import Discovery

/// Images made by the real mkfs tools, probed from their bytes.
@Suite("File system signatures")
struct FilesystemSignatureTests {
    struct Case: Sendable, CustomStringConvertible {
        var tool: String
        var arguments: [String]
        var type: String
        var label: String
        var uuid: String
        var description: String { type }
    }

    static let cases: [Case] = [
        Case(tool: "mkfs.ext2", arguments: ["-q", "-F", "-L", "backup-ext2", "-U", "11111111-2222-4333-8444-555555555555"],
             type: "ext2", label: "backup-ext2", uuid: "11111111-2222-4333-8444-555555555555"),
        Case(tool: "mkfs.ext3", arguments: ["-q", "-F", "-L", "backup-ext3", "-U", "21111111-2222-4333-8444-555555555555"],
             type: "ext3", label: "backup-ext3", uuid: "21111111-2222-4333-8444-555555555555"),
        Case(tool: "mkfs.ext4", arguments: ["-q", "-F", "-L", "backup-ext4", "-U", "31111111-2222-4333-8444-555555555555"],
             type: "ext4", label: "backup-ext4", uuid: "31111111-2222-4333-8444-555555555555"),
        Case(tool: "mkswap", arguments: ["-L", "swap-label", "-U", "41111111-2222-4333-8444-555555555555"],
             type: "swap", label: "swap-label", uuid: "41111111-2222-4333-8444-555555555555"),
    ]

    @Test("type, label and UUID of a freshly made file system",
          arguments: cases.filter { Command.find($0.tool) != nil })
    func probesRealImage(_ testCase: Case) throws {
        let tool = try #require(Command.find(testCase.tool), "\(testCase.tool) is not installed")
        let directory = try TemporaryDirectory("fs")
        defer { directory.remove() }
        let image = directory.path + "/image"
        #expect(FileManager.default.createFile(atPath: image, contents: nil))
        try FileHandle(forWritingAtPath: image).map { try $0.truncate(atOffset: 8 << 20); try $0.close() }
        let made = try Command.run(tool, testCase.arguments + [image])
        try #require(made.status == 0, "\(testCase.tool): \(made.stderr)")

        let bytes = try FileBytes.read(image, limit: FilesystemSignature.probeLength)
        let signature = try #require(FilesystemSignature.probe(bytes))
        #expect(signature.type == testCase.type)
        #expect(signature.label == testCase.label)
        #expect(signature.uuid == testCase.uuid)

        // blkid reads the same image the same way.
        if let blkid = Command.find("blkid") {
            let reference = try Command.run(blkid, ["-o", "export", image]).stdout
            #expect(reference.contains("TYPE=\(testCase.type)\n"))
            #expect(reference.contains("UUID=\(testCase.uuid)\n"))
        }
    }

    @Test("zeroed, random and truncated bytes give no signature and never trap")
    func noSignature() {
        #expect(FilesystemSignature.probe([]) == nil)
        #expect(FilesystemSignature.probe([UInt8](repeating: 0, count: FilesystemSignature.probeLength)) == nil)
        var generator = SystemRandomNumberGenerator()
        for length in [1, 511, 512, 1024 + 0x39, 4096, 70_000] {
            let random = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // A random buffer could in principle carry a magic number; what matters is no trap.
            _ = FilesystemSignature.probe(random)
        }
    }

    @Test("an ext4 image cut short before its superblock ends is not recognised",
          .enabled(if: Command.find("mkfs.ext4") != nil))
    func truncatedExt4() throws {
        let tool = try #require(Command.find("mkfs.ext4"))
        let directory = try TemporaryDirectory("fs")
        defer { directory.remove() }
        let image = directory.path + "/image"
        #expect(FileManager.default.createFile(atPath: image, contents: nil))
        try FileHandle(forWritingAtPath: image).map { try $0.truncate(atOffset: 8 << 20); try $0.close() }
        try #require(try Command.run(tool, ["-q", "-F", image]).status == 0)
        let bytes = try FileBytes.read(image, limit: FilesystemSignature.probeLength)
        #expect(FilesystemSignature.probe(bytes)?.type == "ext4")
        // The magic is at 1024 + 0x38; the feature words follow it.
        #expect(FilesystemSignature.probe(Array(bytes.prefix(1024 + 0x3A)))?.type != "ext4")
    }
}
