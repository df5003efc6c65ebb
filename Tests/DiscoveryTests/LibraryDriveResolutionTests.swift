import Foundation
import HWSim
import SCSI
import Testing
@testable import Discovery

/// `CandidateFinder.drive(_:ofChanger:)`: drive N of a library is the node whose serial matches
/// the changer's DVCID serial for bay N, whatever order the host numbered the nodes in.
@Suite("drive N of a library resolved by serial")
struct LibraryDriveResolutionTests {
    static func library() throws -> SimulatedLibrary {
        let profile = LibraryProfile(
            name: "resolution-test",
            changer: DeviceIdentity(vendor: "IBM", product: "3573-TL", revision: "F.10", serial: "78A0999999"),
            storageSlots: 4, importExportSlots: 1,
            drives: ["SIMDRIVE-A", "SIMDRIVE-B"].map {
                DriveProfile(identity: DeviceIdentity(vendor: "IBM", product: "ULT3580-TD9", revision: "Q3A0", serial: $0),
                             generation: .lto9, identifierStyle: .t10VendorProductSerial)
            },
            cartridges: [])
        return try SimulatedLibrary(profile: profile)
    }

    static func address(_ target: Int) -> SCSIAddress { SCSIAddress(host: 3, channel: 0, target: target, lun: 0) }

    @Test("bay order, not node order: drive 0 is the node with bay 0's serial")
    func resolvesBySerial() async throws {
        let simulated = try Self.library()
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg1", address: Self.address(1), transport: simulated.driveTransport(1))
        source.add(path: "/dev/sg2", address: Self.address(2), transport: simulated.driveTransport(0))
        source.add(path: "/dev/sg3", address: Self.address(3), transport: simulated.changerTransport)
        let finder = CandidateFinder(source: source)
        let drive0 = try await finder.drive(0, ofChanger: "/dev/sg3")
        #expect(drive0.sgPath == "/dev/sg2")
        #expect(drive0.serial == "SIMDRIVE-A")
        #expect(try await finder.drive(1, ofChanger: "/dev/sg3").sgPath == "/dev/sg1")
        // library add registers the same pairing.
        let library = try await finder.library(changer: "/dev/sg3")
        #expect(library.bays.map(\.drive?.sgPath) == ["/dev/sg2", "/dev/sg1"])

        do {
            _ = try await finder.drive(2, ofChanger: "/dev/sg3")
            Issue.record("drive 2 of a two-drive library resolved")
        } catch {
            #expect(error.code == .deviceNotFound)
            #expect(error.message.contains("has 2 drive(s), numbered 0–1"), "\(error.message)")
        }
        do {
            _ = try await finder.drive(0, ofChanger: "/dev/sg9")
            Issue.record("a changer that is not there was resolved")
        } catch {
            #expect(error.message.contains("no changer at /dev/sg9 on this host (changers: /dev/sg3)"), "\(error.message)")
        }
    }

    @Test("a bay whose drive node is not visible is refused with the serial and what to pass")
    func unmatchedSerialIsRefused() async throws {
        let simulated = try Self.library()
        let source = TransportDiscoverySource()
        source.add(path: "/dev/sg1", address: Self.address(1), transport: simulated.driveTransport(1))
        source.add(path: "/dev/sg3", address: Self.address(3), transport: simulated.changerTransport)
        let finder = CandidateFinder(source: source)
        do {
            let drive = try await finder.drive(0, ofChanger: "/dev/sg3")
            Issue.record("drive 0 resolved to \(drive.sgPath) though no node has its serial")
        } catch {
            #expect(error.code == .driveNotResolved)
            #expect(error.message.contains("drive 0 of changer /dev/sg3 has serial SIMDRIVE-A"), "\(error.message)")
            #expect(error.message.contains("--device /dev/sgM, the tape drive whose serial is SIMDRIVE-A"),
                    "\(error.message)")
        }
        #expect(try await finder.drive(1, ofChanger: "/dev/sg3").sgPath == "/dev/sg1")
    }
}
