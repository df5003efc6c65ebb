import SCSI
import TapeHardware

/// Asks a changer, through any transport, who it is and what elements it has.
public enum ChangerQuery {
    /// Discovery does not wait out a library that is still inventorying after power-on (that
    /// can take minutes): it offers the changer with the reason and asks again later.
    static let becomingReadyWait: Duration = .seconds(2)

    /// INQUIRY, then the changer's inventory (every element type, paged, with volume tags and
    /// the drives' DVCID identifiers, with TapeHardware's field-quirk fallbacks).
    public static func info(sgPath: String, through transport: any SCSITransport) async throws(DiscoveryError) -> ChangerInfo {
        let inquiry = try await standardInquiry(sgPath: sgPath, through: transport)
        guard inquiry.deviceType == .mediumChanger else {
            throw DiscoveryError(.notAChanger, "\(sgPath) is a \(inquiry.deviceType), not a medium changer")
        }
        let serial = await SerialQuery.unitSerialNumber(through: transport)
        let inventory = try await self.inventory(sgPath: sgPath, through: transport)
        let (bays, identifierProblem) = driveBays(inventory)
        let slots = (inventory.storage + inventory.importExport).map { element in
            SlotInfo(number: element.number, elementAddress: element.address,
                     importExport: element.kind == .importExport, full: element.full,
                     barcode: element.full ? element.volumeTag : nil)
        }
        return ChangerInfo(
            sgPath: sgPath, vendor: inquiry.vendor, product: inquiry.product, revision: inquiry.revision,
            serial: serial,
            elementCounts: ElementCounts(transports: inventory.transports.count, storage: inventory.storage.count,
                                         importExport: inventory.importExport.count, dataTransfer: bays.count),
            slots: slots, drives: bays, identifierProblem: identifierProblem)
    }

    /// The changer's drive bays with their DVCID serials, for candidate grouping. Failures
    /// become the identity's `queryProblem` rather than an error: the other changers and
    /// drives are still offered.
    public static func identity(of changer: DiscoveredDevice, through transport: any SCSITransport) async -> ChangerIdentity {
        do throws(DiscoveryError) {
            let (bays, identifierProblem) = driveBays(try await inventory(sgPath: changer.sgPath, through: transport))
            return ChangerIdentity(changer: changer, dataTransferElements: bays.map {
                DataTransferElementIdentity(elementAddress: $0.elementAddress, serial: $0.serial)
            }, identifierProblem: identifierProblem)
        } catch {
            return ChangerIdentity(changer: changer, dataTransferElements: [], queryProblem: error.description)
        }
    }

    static func inventory(sgPath: String, through transport: any SCSITransport)
        async throws(DiscoveryError) -> LibraryInventory {
        do {
            return try await MediumChanger(transport: transport, retryInterval: .milliseconds(250),
                                           becomingReadyTimeout: becomingReadyWait).inventory()
        } catch {
            throw DiscoveryError(.deviceQueryFailed, "READ ELEMENT STATUS on \(sgPath) failed: \(error)")
        }
    }

    /// Drive bays in element-address order; a changer that gave no identifiers for any of
    /// its drives (it refused DVCID, or has none) is reported as such.
    static func driveBays(_ inventory: LibraryInventory) -> ([DriveBayStatus], String?) {
        let bays = inventory.drives.map { drive in
            DriveBayStatus(driveNumber: drive.number, elementAddress: drive.address, full: drive.full,
                           barcode: drive.full ? drive.volumeTag : nil, serial: drive.driveSerial,
                           identifier: drive.driveSerial.map { serial in
                               [drive.driveVendor, drive.driveProduct, serial].compactMap { $0 }.joined(separator: " ")
                           })
        }
        let problem = !bays.isEmpty && bays.allSatisfy({ $0.serial == nil })
            ? "the changer returned no device identifiers (DVCID) for its drives" : nil
        return (bays, problem)
    }

    static func standardInquiry(sgPath: String, through transport: any SCSITransport)
        async throws(DiscoveryError) -> StandardInquiry {
        do {
            return try await CommandRunner(transport: transport, becomingReadyTimeout: .zero).inquiry()
        } catch {
            throw DiscoveryError(.deviceQueryFailed, "INQUIRY to \(sgPath) failed: \(error)")
        }
    }
}
