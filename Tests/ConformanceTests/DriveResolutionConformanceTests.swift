import Foundation
import HWSimServer
import Testing

/// `tapelib drive … --device CHANGER --drive N`: drive N's commands go to the drive's own node,
/// found by the serial the changer reports for bay N (DVCID), through real SG_IO code (the sg
/// shim's /dev/hwsim/sgN nodes) and through hwsim:SOCKET#N; never to the changer.
@Suite("drive N of a library resolved to its own node", .serialized)
struct DriveResolutionConformanceTests {
    struct DriveJSON: Decodable {
        var vendor: String
        var product: String
        var serial: String?
        var medium_loaded: Bool
    }

    static func driveStatus(_ arguments: [String], environment: [String: String]) async throws -> DriveJSON {
        let output = try await ToolRunner.run(CLIConformanceTests.tapelib, ["drive", "status", "--json"] + arguments,
                                              environment: environment)
        try #require(output.exitCode == 0, "tapelib drive status \(arguments): \(output.combined)")
        return try JSONDecoder().decode(DriveJSON.self, from: Data(output.stdout.utf8))
    }

    @Test("drive status through the changer's node reports the drive's INQUIRY, not the changer's")
    func driveStatusThroughTheChanger() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let shim = try await server.shimEnvironment()
        let ids = try await RealToolConformanceTests.identities(server)
        let changerSerial = try RealToolConformanceTests.value(ids, "changer")
        let driveCount = try RealToolConformanceTests.count(try await RealToolConformanceTests.inventory(server), "drives")
        try #require(driveCount >= 2, "the profile needs two drives")

        for drive in [0, driveCount - 1] {
            let status = try await Self.driveStatus(["--device", "/dev/hwsim/sg0", "--drive", String(drive)], environment: shim)
            #expect(status.serial == (try RealToolConformanceTests.value(ids, "drive\(drive)")), "drive \(drive)")
            #expect(status.serial != changerSerial)
            #expect(status.vendor == (try RealToolConformanceTests.value(ids, "drive\(drive).vendor")))
            #expect(status.product == (try RealToolConformanceTests.value(ids, "drive\(drive).product")))
            #expect(status.product != (try RealToolConformanceTests.value(ids, "changer.product")))
        }
        // The same through the hwsim socket, and a drive's own node used as itself.
        let overSocket = try await Self.driveStatus(["--device", "hwsim:\(server.socketPath)#0", "--drive", "1"],
                                                    environment: [:])
        #expect(overSocket.serial == (try RealToolConformanceTests.value(ids, "drive1")))
        let own = try await Self.driveStatus(["--device", "/dev/hwsim/sg2", "--drive", "0"], environment: shim)
        #expect(own.serial == (try RealToolConformanceTests.value(ids, "drive1")))

        // Erase through the changer's node reaches the drive (the changer would answer
        // ILLEGAL REQUEST, invalid operation code).
        let load = try await ToolRunner.run(CLIConformanceTests.tapelib,
                                            ["changer", "load", "--device", "/dev/hwsim/sg0", "--slot", "1", "--drive", "0"],
                                            environment: shim)
        try #require(load.exitCode == 0, "\(load.combined)")
        let erase = try await ToolRunner.run(CLIConformanceTests.tapelib,
                                             ["drive", "erase", "--device", "/dev/hwsim/sg0", "--drive", "0"], environment: shim)
        #expect(erase.exitCode == 0, "\(erase.combined)")
        #expect(erase.stdout.contains("erased"))
        let loaded = try await Self.driveStatus(["--device", "/dev/hwsim/sg0", "--drive", "0"], environment: shim)
        #expect(loaded.medium_loaded)

        // Drive commands to a changer without --drive, or --drive 1 of a single drive: refused.
        let bare = try await ToolRunner.run(CLIConformanceTests.tapelib, ["drive", "status", "--device", "/dev/hwsim/sg0"],
                                            environment: shim)
        #expect(bare.exitCode != 0)
        #expect(bare.stderr.contains("is a medium changer, not a tape drive: pass --drive N"), "\(bare.stderr)")
        let tooFar = try await ToolRunner.run(CLIConformanceTests.tapelib,
                                              ["drive", "status", "--device", "/dev/hwsim/sg2", "--drive", "1"], environment: shim)
        #expect(tooFar.exitCode != 0)
        #expect(tooFar.stderr.contains("is a tape drive, not a library"), "\(tooFar.stderr)")
    }

    @Test("a drive whose serial matches no node is refused with its serial and what to pass instead")
    func unmatchedSerialIsRefused() async throws {
        let server = try HWSimServerProcess(profile: "midsize")
        try await server.start()
        defer { server.stop() }
        let shim = try await server.shimEnvironment()
        let ids = try await RealToolConformanceTests.identities(server)
        let serial = try RealToolConformanceTests.value(ids, "drive0")
        // Drive 0's node goes away; the changer still reports its serial in bay 0.
        #expect(try await server.control(ControlRequest(op: "disconnect", device: 1)).ok)
        for device in ["/dev/hwsim/sg0", "hwsim:\(server.socketPath)#0"] {
            let output = try await ToolRunner.run(CLIConformanceTests.tapelib,
                                                  ["drive", "status", "--device", device, "--drive", "0"], environment: shim)
            #expect(output.exitCode == 1, "\(device): \(output.combined)")
            #expect(output.stderr.contains("drive 0 of changer \(device) has serial \(serial)"), "\(output.stderr)")
            #expect(output.stderr.contains("pass the drive's own node instead of the changer's: --device /dev/sgM, "
                                           + "the tape drive whose serial is \(serial)"), "\(output.stderr)")
            #expect(output.stdout.isEmpty, "nothing was reported as the drive's status: \(output.stdout)")
        }
        // The other drives still resolve.
        let other = try await Self.driveStatus(["--device", "/dev/hwsim/sg0", "--drive", "1"], environment: shim)
        #expect(other.serial == (try RealToolConformanceTests.value(ids, "drive1")))
    }
}
