import ArgumentParser
import CLISupport
import Foundation
import SCSI
import TapeHardware

struct InquiryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inquiry", abstract: "Standard INQUIRY and unit serial number of a device.")
    @OptionGroup var device: DeviceOptions
    @Option(help: "Drive number instead of the changer, for a library address.") var drive: Int?
    @Flag(help: "JSON for scripts.") var json = false

    struct Report: Encodable {
        var deviceType: String
        var vendor: String
        var product: String
        var revision: String
        var serial: String?
        var removable: Bool
    }

    func run() async throws {
        try await reportingFailures {
            let opened = try device.open()
            defer { opened.close() }
            let transport: any SCSITransport = if let drive { try await opened.drive(drive) } else { opened.changerTransport }
            let runner = CommandRunner(transport: transport)
            let inquiry = try await runner.run(.inquiry(allocationLength: 96)) { (d) throws(SCSIParseError) in
                try StandardInquiry(parsing: d)
            }
            let serial = try? await runner.run(.inquiry(evpd: true, page: 0x80, allocationLength: 252)) {
                (d) throws(SCSIParseError) in try UnitSerialNumber(parsing: d).serial
            }
            let report = Report(deviceType: inquiry.deviceType.description, vendor: inquiry.vendor,
                                product: inquiry.product, revision: inquiry.revision, serial: serial,
                                removable: inquiry.removable)
            if json {
                try Output.printJSON(report)
            } else {
                print("Device type: \(report.deviceType)")
                print("Vendor:      \(report.vendor)")
                print("Product:     \(report.product)")
                print("Revision:    \(report.revision)")
                print("Serial:      \(report.serial ?? "(none)")")
            }
        }
    }
}
