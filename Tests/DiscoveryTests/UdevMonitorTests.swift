import Foundation
import Testing
@testable import Discovery

@Suite("udev monitor", .serialized)
struct UdevMonitorTests {
    /// Kernel uevents need no udevd (there is none on a build machine); attaching a loop device
    /// makes the kernel announce a change of that block device.
    @Test("kernel events for a loop device reach the stream, received on the monitor's own thread",
          .enabled(if: isRoot && Command.find("losetup") != nil, "needs root and losetup"))
    func loopDeviceEvent() async throws {
        try await HostDevices.shared.exclusively {
            let losetup = try #require(Command.find("losetup"))
            let monitor = UdevMonitor(source: .kernel, subsystems: ["block"], requiredProperty: nil)
            let events = monitor.events()
            let directory = try TemporaryDirectory("monitor")
            defer { directory.remove() }
            let image = directory.path + "/disk.img"
            #expect(FileManager.default.createFile(atPath: image, contents: nil))
            try FileHandle(forWritingAtPath: image).map { try $0.truncate(atOffset: 1 << 20); try $0.close() }
            let attached = try Command.run(losetup, ["--find", "--show", image])
            try #require(attached.status == 0, "losetup: \(attached.stderr)")
            let node = attached.stdout.trimmingWhitespace()
            defer { _ = try? Command.run(losetup, ["--detach", node]) }
            let name = String(node.split(separator: "/").last ?? "")

            let received = try await withThrowingTaskGroup(of: DeviceEvent?.self) { group in
                group.addTask {
                    for try await event in events where event.sysname == name { return event }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            let event = try #require(received, "no uevent for \(name) within 10 s")
            #expect(event.subsystem == "block")
            #expect(event.action == .change || event.action == .add)
            #expect(event.devnode == node)
        }
    }

    /// This process's open uevent netlink sockets: descriptors that are sockets whose inode
    /// /proc/self/net/netlink lists with protocol 15 (NETLINK_KOBJECT_UEVENT).
    private func ueventSockets() throws -> Int {
        let table = try String(contentsOfFile: "/proc/self/net/netlink", encoding: .utf8)
        let ueventInodes = Set(table.split(separator: "\n").dropFirst().compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count >= 10 && fields[1] == "15" ? String(fields[9]) : nil
        })
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        return descriptors.filter { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd),
                  target.hasPrefix("socket:[") else { return false }
            return ueventInodes.contains(String(target.dropFirst(8).dropLast()))
        }.count
    }

    @Test("the stream ends when its consumer stops, and the monitor's socket is closed")
    func stopsWithConsumer() async throws {
        let before = try ueventSockets()
        for _ in 0..<5 {
            let events = UdevMonitor(source: .kernel, subsystems: ["block"], requiredProperty: nil).events()
            #expect(try ueventSockets() > before)
            let task = Task { for try await _ in events {} }
            try await Task.sleep(for: .milliseconds(20))
            task.cancel()
            _ = await task.result
        }
        // Give the monitor threads a moment to close their sockets and pipes.
        var after = Int.max
        for _ in 0..<50 where after > before {
            try await Task.sleep(for: .milliseconds(20))
            after = try ueventSockets()
        }
        #expect(after <= before)
    }

    @Test("events of devices without the TAPELIB property that are not drives or changers are filtered out",
          .enabled(if: isRoot && Command.find("losetup") != nil, "needs root and losetup"))
    func tagFilter() async throws {
        try await HostDevices.shared.exclusively {
            let losetup = try #require(Command.find("losetup"))
            let filtered = UdevMonitor(source: .kernel, subsystems: ["block"]).events()
            let unfiltered = UdevMonitor(source: .kernel, subsystems: ["block"], requiredProperty: nil).events()
            let directory = try TemporaryDirectory("monitor")
            defer { directory.remove() }
            let image = directory.path + "/disk.img"
            #expect(FileManager.default.createFile(atPath: image, contents: nil))
            try FileHandle(forWritingAtPath: image).map { try $0.truncate(atOffset: 1 << 20); try $0.close() }
            let attached = try Command.run(losetup, ["--find", "--show", image])
            try #require(attached.status == 0)
            let node = attached.stdout.trimmingWhitespace()
            _ = try Command.run(losetup, ["--detach", node])

            func firstEvent(_ stream: AsyncThrowingStream<DeviceEvent, any Error>) async throws -> DeviceEvent? {
                try await withThrowingTaskGroup(of: DeviceEvent?.self) { group in
                    group.addTask {
                        for try await event in stream where event.devnode == node { return event }
                        return nil
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(2))
                        return nil
                    }
                    let first = try await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
            }
            // The control sees the loop device's events; the tag-filtered monitor does not.
            #expect(try await firstEvent(unfiltered) != nil)
            #expect(try await firstEvent(filtered) == nil)
        }
    }
}
