import Foundation
import Testing
@testable import Discovery

/// lsblk's view of one device (`lsblk --json --bytes`), the reference these tests compare with.
private struct LsblkDevice: Decodable {
    var name: String
    var path: String
    var size: UInt64
    var type: String
    var ro: Bool
    var mountpoints: [String?]
    var children: [LsblkDevice]?
}

private struct LsblkOutput: Decodable {
    var blockdevices: [LsblkDevice]
}

private func lsblk(_ extra: [String] = []) throws -> [LsblkDevice] {
    guard let tool = Command.find("lsblk") else { return [] }
    let output = try Command.run(tool, ["--json", "--bytes", "-o", "NAME,PATH,SIZE,TYPE,RO,MOUNTPOINTS"] + extra)
    let decoded = try JSONDecoder().decode(LsblkOutput.self, from: Data(output.stdout.utf8))
    func flatten(_ devices: [LsblkDevice]) -> [LsblkDevice] {
        devices.flatMap { [$0] + flatten($0.children ?? []) }
    }
    return flatten(decoded.blockdevices)
}

/// lsblk's TYPE column for what tapelib calls `type` (lsblk calls zram devices "disk",
/// partitions "part" and md arrays by RAID level).
private func lsblkType(_ type: BlockDeviceType) -> Set<String> {
    switch type {
    case .disk, .zram: return ["disk"]
    case .partition: return ["part"]
    case .loop: return ["loop"]
    case .lvm: return ["lvm"]
    case .md: return ["raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "linear", "md"]
    case .deviceMapper: return ["crypt", "dm", "mpath"]
    case .rom: return ["rom"]
    }
}

private func sysfs(_ name: String, _ attribute: String) -> String? {
    (try? String(contentsOfFile: "/sys/class/block/\(name)/\(attribute)", encoding: .utf8))?.trimmingWhitespace()
}

@Suite("Block devices of this host", .serialized)
struct BlockDeviceTests {
    @Test("the same devices as lsblk, with the same path, size, type, read-only flag and mountpoints",
          .enabled(if: Command.find("lsblk") != nil, "lsblk is not installed"))
    func matchesLsblk() async throws {
        try await HostDevices.shared.exclusively {
            let scanned = try BlockDeviceScanner.scan()
            let reference = try lsblk()
            #expect(!scanned.isEmpty, "this machine has block devices (vda, zram0 at least)")
            #expect(Set(scanned.map(\.name)) == Set(reference.map(\.name)))
            for expected in reference {
                guard let device = scanned.first(where: { $0.name == expected.name }) else { continue }
                #expect(device.path == expected.path)
                #expect(device.size == expected.size, "\(device.name) size")
                #expect(lsblkType(device.type).contains(expected.type), "\(device.name): \(device.type) vs lsblk \(expected.type)")
                #expect(device.readOnly == expected.ro, "\(device.name) read-only")
                #expect(Set(device.mountpoints) == Set(expected.mountpoints.compactMap { $0 }), "\(device.name) mountpoints")
            }
        }
    }

    @Test("sizes, read-only flags, holders and device numbers are those in /sys/class/block")
    func matchesSysfs() async throws {
        try await HostDevices.shared.exclusively {
            let scanned = try BlockDeviceScanner.scan()
            for device in scanned {
                let sectors = try #require(sysfs(device.name, "size").flatMap { UInt64($0) })
                #expect(device.size == sectors * 512)
                #expect(device.readOnly == (sysfs(device.name, "ro") == "1"))
                #expect(device.majorMinor == sysfs(device.name, "dev"))
                let holders = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/block/\(device.name)/holders")) ?? []
                #expect(device.holders == holders.sorted())
                if device.name.hasPrefix("zram") { #expect(device.type == .zram) }
                if device.name.hasPrefix("vd") && device.parent == nil { #expect(device.type == .disk) }
            }
        }
    }

    @Test("unattached loop devices are left out, as lsblk does without --all")
    func unattachedLoopsLeftOut() async throws {
        try await HostDevices.shared.exclusively {
            let scanned = try BlockDeviceScanner.scan()
            let loops = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/block")) ?? []
            for loop in loops where loop.hasPrefix("loop") {
                let attached = FileManager.default.fileExists(atPath: "/sys/class/block/\(loop)/loop/backing_file")
                #expect(scanned.contains { $0.name == loop } == attached, "\(loop)")
            }
        }
    }

    @Test("a loop device with an ext4 file system: type, size, label, UUID, backing file, read-only, mountpoint",
          .enabled(if: isRoot && Command.find("losetup") != nil && Command.find("mkfs.ext4") != nil,
                   "needs root, losetup and mkfs.ext4"))
    func loopDeviceWithFilesystem() async throws {
        try await HostDevices.shared.exclusively {
            let losetup = try #require(Command.find("losetup"))
            let mkfs = try #require(Command.find("mkfs.ext4"))
            let directory = try TemporaryDirectory("loop")
            defer { directory.remove() }
            let image = directory.path + "/disk.img"
            let uuid = "0b6a2f8e-6c1d-4c59-9a57-3c1f1d2e4b5a"
            #expect(FileManager.default.createFile(atPath: image, contents: nil))
            try FileHandle(forWritingAtPath: image).map { try $0.truncate(atOffset: 24 << 20); try $0.close() }
            try #require(try Command.run(mkfs, ["-q", "-F", "-L", "tapelib-test", "-U", uuid, image]).status == 0)

            let attach = try Command.run(losetup, ["--find", "--show", image])
            try #require(attach.status == 0, "losetup: \(attach.stderr)")
            let node = attach.stdout.trimmingWhitespace()
            defer { _ = try? Command.run(losetup, ["--detach", node]) }
            let readOnlyAttach = try Command.run(losetup, ["--find", "--show", "--read-only", image])
            try #require(readOnlyAttach.status == 0)
            let readOnlyNode = readOnlyAttach.stdout.trimmingWhitespace()
            defer { _ = try? Command.run(losetup, ["--detach", readOnlyNode]) }

            let mountPoint = directory.path + "/mnt"
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            let mount = try Command.run(try #require(Command.find("mount")), [node, mountPoint])
            try #require(mount.status == 0, "mount: \(mount.stderr)")
            defer { _ = try? Command.run(Command.find("umount") ?? "/bin/umount", [mountPoint]) }

            let scanned = try BlockDeviceScanner.scan()
            let device = try #require(scanned.first { $0.path == node })
            #expect(device.type == .loop)
            #expect(device.size == 24 << 20)
            #expect(device.backingFile == image)
            #expect(device.readOnly == false)
            #expect(device.fsType == "ext4")
            #expect(device.label == "tapelib-test")
            #expect(device.uuid == uuid)
            #expect(device.mountpoints == [mountPoint])

            let readOnly = try #require(scanned.first { $0.path == readOnlyNode })
            #expect(readOnly.readOnly)
            #expect(readOnly.mountpoints.isEmpty)

            // blkid (libblkid) is the reference for the file system fields.
            if let blkid = Command.find("blkid") {
                let reference = try Command.run(blkid, ["-o", "export", node]).stdout
                #expect(reference.contains("TYPE=\(device.fsType ?? "-")"))
                #expect(reference.contains("LABEL=\(device.label ?? "-")"))
                #expect(reference.contains("UUID=\(device.uuid ?? "-")"))
            }
            // And lsblk agrees on the rest, now that both loops are attached.
            let reference = try lsblk([node, readOnlyNode])
            #expect(reference.first { $0.path == node }?.mountpoints.compactMap { $0 } == [mountPoint])
            #expect(reference.first { $0.path == readOnlyNode }?.ro == true)
        }
    }
}
