import Foundation
import Testing
@testable import Discovery

/// sysfs as the kernel lays it out for a tape drive at 2:0:3:0 (sg5, st1/nst1).
private func driveRecord(sgProperties: [String: String] = [:], stProperties: [String: String] = [:],
                         vpd: [UInt8]? = nil) -> SCSIDeviceRecord {
    SCSIDeviceRecord(
        sgName: "sg5", sgDevnode: "/dev/sg5", scsiDeviceName: "2:0:3:0",
        attributes: ["type": "1", "vendor": "IBM", "model": "ULT3580-TD9", "rev": "N9M1"],
        sgProperties: sgProperties, sgDevlinks: ["/dev/tape/by-id/scsi-35000e111-sg", "/dev/char/21:5"],
        vpdPage80: vpd,
        tapeNodes: [
            .init(name: "st1l", devnode: "/dev/st1l", properties: [:], devlinks: []),
            .init(name: "nst1", devnode: "/dev/nst1", properties: stProperties, devlinks: ["/dev/tape/by-id/scsi-35000e111-nst"]),
            .init(name: "st1", devnode: "/dev/st1", properties: stProperties, devlinks: ["/dev/tape/by-id/scsi-35000e111"]),
        ],
        resolvedByIdLinks: ["/dev/tape/by-id/scsi-35000e111"])
}

@Suite("SCSI device records")
struct SCSIDeviceRecordTests {
    @Test("a drive: address, identity, st/nst nodes and by-id links")
    func drive() throws {
        let device = try #require(DiscoveredDevice(record: driveRecord(stProperties: ["ID_SCSI_SERIAL": "1013000123"])))
        #expect(device.kind == .drive)
        #expect(device.address == SCSIAddress(host: 2, channel: 0, target: 3, lun: 0))
        #expect(device.sgPath == "/dev/sg5")
        #expect(device.stPath == "/dev/st1")
        #expect(device.nstPath == "/dev/nst1")
        #expect((device.vendor, device.model, device.revision) == ("IBM", "ULT3580-TD9", "N9M1"))
        #expect(device.serial == "1013000123" && device.serialSource == .udev)
        #expect(device.byIdLinks == ["/dev/tape/by-id/scsi-35000e111", "/dev/tape/by-id/scsi-35000e111-nst",
                                     "/dev/tape/by-id/scsi-35000e111-sg"])
    }

    @Test("without udev's serial the kernel's VPD 80h copy is used")
    func sysfsSerial() throws {
        // SPC-4 Unit Serial Number VPD page: type 01h, page 80h, length 000Ch, serial space padded.
        let page: [UInt8] = [0x01, 0x80, 0x00, 0x0C] + Array("  HU19487TCL".utf8) + [0x20]
        let device = try #require(DiscoveredDevice(record: driveRecord(vpd: page)))
        #expect(device.serial == "HU19487TCL" && device.serialSource == .sysfs)
    }

    @Test("udev's serial wins over sysfs; no source leaves the serial unknown")
    func serialPrecedence() throws {
        let page: [UInt8] = [0x01, 0x80, 0x00, 0x04] + Array("SYSF".utf8)
        let fromUdev = try #require(DiscoveredDevice(record: driveRecord(sgProperties: ["ID_SCSI_SERIAL": "UDEV"], vpd: page)))
        #expect(fromUdev.serial == "UDEV")
        let none = try #require(DiscoveredDevice(record: driveRecord()))
        #expect(none.serial == nil && none.serialSource == nil)
    }

    @Test("only peripheral types 1 and 8 are tape-library devices", arguments: ["0", "5", "12", "x", ""])
    func otherTypes(_ type: String) {
        var record = driveRecord()
        record.attributes["type"] = type
        #expect(DiscoveredDevice(record: record) == nil)
    }

    @Test("a changer has no tape nodes")
    func changer() throws {
        var record = driveRecord()
        record.attributes["type"] = "8"
        let device = try #require(DiscoveredDevice(record: record))
        #expect(device.kind == .changer && device.stPath == nil && device.nstPath == nil)
    }

    @Test("the udev scan finds exactly the sg nodes of type 1 and 8 that /sys shows")
    func scanMatchesSysfs() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/scsi_generic")) ?? []
        let expected = names.filter { name in
            let type = (try? String(contentsOfFile: "/sys/class/scsi_generic/\(name)/device/type", encoding: .utf8))?
                .trimmingWhitespace()
            return type == "1" || type == "8"
        }
        let scanned = try UdevSCSIScanner.scan()
        #expect(Set(scanned.map(\.sgName)) == Set(expected))
    }

    @Test("addresses parse only as four non-negative numbers", arguments: [
        ("0:0:0:0", true), ("12:3:45:6", true), ("0:0:0", false), ("a:0:0:0", false), ("0:0:0:-1", false), ("", false),
    ])
    func addresses(_ text: String, _ valid: Bool) {
        #expect((SCSIAddress(hctl: text) != nil) == valid)
        if valid { #expect(SCSIAddress(hctl: text)?.description == text) }
    }
}
