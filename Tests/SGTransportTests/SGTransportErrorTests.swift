import Foundation
import SCSI
import Testing
@testable import SGTransport

@Suite("SGTransport errors")
struct SGTransportErrorTests {
    @Test("a path that does not exist is reported as a device that is gone")
    func missingNode() async {
        do {
            _ = try await SGTransport.open(path: "/dev/tapelib-no-such-sg-node")
            Issue.record("opening a missing node succeeded")
        } catch {
            #expect(error.code == .deviceGone)
            #expect(error.errno == ENOENT)
            #expect(error.message.contains("/dev/tapelib-no-such-sg-node"))
        }
    }

    @Test("a character device that is not sg fails SG_IO as an invalid device")
    func notSCSIGeneric() async throws {
        let transport = try await SGTransport.open(path: "/dev/null")
        do {
            _ = try await transport.execute(SCSICommand(cdb: [0x00, 0, 0, 0, 0, 0]))
            Issue.record("SG_IO on /dev/null succeeded")
        } catch {
            #expect(error.code == .invalidDevice)
            #expect(error.errno == ENOTTY)
        }
        await transport.close()
    }

    @Test("after close, commands fail instead of reaching a reused descriptor")
    func closedTransport() async throws {
        let transport = try await SGTransport.open(path: "/dev/null")
        await transport.close()
        await #expect(throws: TransportError.self) {
            _ = try await transport.execute(SCSICommand(cdb: [0x00, 0, 0, 0, 0, 0]))
        }
    }

    @Test("errno values map to typed errors with guidance", arguments: [
        (ENOENT, TransportError.Code.deviceGone), (ENODEV, .deviceGone), (ENXIO, .deviceGone),
        (EBUSY, .busy), (EACCES, .permissionDenied), (EPERM, .permissionDenied),
        (ETIMEDOUT, .timedOut), (ENOTTY, .invalidDevice), (EIO, .io),
    ])
    func errnoMapping(code: Int32, expected: TransportError.Code) {
        let error = TransportError.fromErrno(code, path: "/dev/sg7", operation: "open")
        #expect(error.code == expected)
        #expect(error.errno == code)
        #expect(error.message.hasPrefix("/dev/sg7: "))
    }

    @Test("permission errors name the tape group and the udev rule that grants it")
    func permissionGuidance() {
        let error = TransportError.fromErrno(EACCES, path: "/dev/sg3", operation: "open")
        #expect(error.message.contains("group `tape`"))
        #expect(error.message.contains("50-udev-default.rules"))
        #expect(error.message.contains("61-tapelib.rules"))
    }

    @Test("host status other than DID_OK is a transport error", arguments: [
        (UInt16(0x01), UInt16(0), TransportError.Code.deviceGone), (0x04, 0, .deviceGone),
        (0x02, 0, .busy), (0x03, 0, .timedOut), (0, 0x06, .timedOut), (0x07, 0, .hostError),
        (0, 0x01, .busy), (0, 0x04, .hostError), (0, 0x05, .hostError), (0, 0x07, .hostError),
    ])
    func hostStatus(host: UInt16, driver: UInt16, expected: TransportError.Code) {
        #expect(LinuxHostStatus.error(host: host, driver: driver, path: "/dev/sg1", opcode: 0x12)?.code == expected)
    }

    @Test("DID_OK with DRIVER_SENSE is not an error: the sense is data")
    func driverSenseIsNotAnError() {
        #expect(LinuxHostStatus.error(host: 0, driver: 0x08, path: "/dev/sg1", opcode: 0x12) == nil)
    }

    @Test("REQUEST SENSE gets a 252-byte sense buffer, other commands at least 32")
    func senseBufferSizes() {
        #expect(SGPassThrough.senseCapacity(for: [0x03, 0, 0, 0, 252, 0]) == 252)
        #expect(SGPassThrough.senseCapacity(for: [0x12, 0, 0, 0, 36, 0]) >= 32)
    }
}
