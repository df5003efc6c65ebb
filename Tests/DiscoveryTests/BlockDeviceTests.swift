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

    /// An 8 MiB image with an MBR holding one Linux partition at sector 2048, 8192 sectors
    /// long (MBR partition entry at byte 446: status, CHS first, type 83h, CHS last,
    /// LBA first and sector count little-endian; 55h AAh at 510).
    private func partitionedImage(at path: String) throws {
        var bytes = [UInt8](repeating: 0, count: 8 << 20)
        let entry: [UInt8] = [0x00, 0x00, 0x02, 0x00, 0x83, 0x00, 0x00, 0x00,
                              0x00, 0x08, 0x00, 0x00,    // first LBA 2048
                              0x00, 0x20, 0x00, 0x00]    // 8192 sectors
        bytes.replaceSubrange(446..<462, with: entry)
        bytes[510] = 0x55
        bytes[511] = 0xAA
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("a partition of a loop device: type, parent and size, as lsblk and /sys show them",
          .enabled(if: isRoot && Command.find("losetup") != nil && Command.find("partx") != nil,
                   "needs root, losetup and partx"))
    func partition() async throws {
        try await HostDevices.shared.exclusively {
            let losetup = try #require(Command.find("losetup"))
            let directory = try TemporaryDirectory("partition")
            defer { directory.remove() }
            let image = directory.path + "/disk.img"
            try partitionedImage(at: image)
            let attach = try Command.run(losetup, ["--find", "--show", "--partscan", image])
            try #require(attach.status == 0, "losetup: \(attach.stderr)")
            let node = attach.stdout.trimmingWhitespace()
            defer { _ = try? Command.run(losetup, ["--detach", node]) }
            let loopName = String(node.split(separator: "/").last ?? "")
            // The kernel's own partition scan may not run in a container; partx adds it.
            if !FileManager.default.fileExists(atPath: "/sys/class/block/\(loopName)p1") {
                _ = try Command.run(try #require(Command.find("partx")), ["--add", node])
            }
            try #require(FileManager.default.fileExists(atPath: "/sys/class/block/\(loopName)p1"))

            let scanned = try BlockDeviceScanner.scan()
            let partition = try #require(scanned.first { $0.name == loopName + "p1" })
            #expect(partition.type == .partition)
            #expect(partition.parent == loopName)
            #expect(partition.size == 8192 * 512)
            #expect(partition.path == node + "p1")
            let reference = try lsblk([node])
            #expect(reference.first { $0.name == partition.name }?.type == "part")
            #expect(reference.first { $0.name == partition.name }?.size == partition.size)
        }
    }
}

/// Device kinds this machine cannot create (no device-mapper or md driver in its kernel):
/// classified from the sysfs facts such devices have.
@Suite("Block device types")
struct BlockDeviceTypeTests {
    @Test("classification from kernel name, devtype and dm/uuid", arguments: [
        ("vda", "disk", nil, BlockDeviceType.disk),
        ("sda", "disk", nil, .disk),
        ("nvme0n1", "disk", nil, .disk),
        ("sda1", "partition", nil, .partition),
        ("md0p1", "partition", nil, .partition),
        ("loop3", "disk", nil, .loop),
        ("zram0", "disk", nil, .zram),
        ("md127", "disk", nil, .md),
        ("sr0", "disk", nil, .rom),
        ("dm-0", "disk", "LVM-k2mXs0yV1o3Z7J0ZyqI3p5bZkJ3kQw0Ac9f8bG2dHqWn5cQmYb0aE1rT4uJ6kLx", .lvm),
        ("dm-1", "disk", "CRYPT-LUKS2-0b5f7c1e2d3a4b5c6d7e8f9a0b1c2d3e-luks", .deviceMapper),
        ("dm-2", "disk", nil, .deviceMapper),
    ] as [(String, String?, String?, BlockDeviceType)])
    func classify(_ name: String, _ devtype: String?, _ uuid: String?, _ expected: BlockDeviceType) {
        #expect(BlockDeviceType(kernelName: name, devtype: devtype, deviceMapperUUID: uuid) == expected)
    }
}
