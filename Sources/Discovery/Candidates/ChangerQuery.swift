import SCSI

/// Asks a changer, through any transport, who it is and what elements it has.
public enum ChangerQuery {
    /// Elements asked for per READ ELEMENT STATUS request (PBS pages large libraries by 1,000).
    static let pageSize: UInt16 = 1000
    /// A bound on requests per element type, so a changer that keeps answering the same page
    /// cannot keep the query going.
    static let maximumPages = 64

    /// INQUIRY, element status of every type (with DVCID for drive bays).
    public static func info(sgPath: String, through transport: any SCSITransport) async throws(DiscoveryError) -> ChangerInfo {
        let inquiry = try await standardInquiry(sgPath: sgPath, through: transport)
        guard inquiry.deviceType == .mediumChanger else {
            throw DiscoveryError(.notAChanger, "\(sgPath) is a \(inquiry.deviceType), not a medium changer")
        }
        let serial = await SerialQuery.unitSerialNumber(through: transport)
        let transports: [ElementStatus]
        let storage: [ElementStatus]
        let importExport: [ElementStatus]
        do throws(SCSIError) {
            // One request per element type: tgt's all-types answer has overlapping pages.
            transports = try await elementsWithBarcodes(.mediumTransport, through: transport)
            storage = try await elementsWithBarcodes(.storage, through: transport)
            importExport = try await elementsWithBarcodes(.importExport, through: transport)
        } catch {
            throw DiscoveryError(.deviceQueryFailed, "READ ELEMENT STATUS on \(sgPath) failed: \(error)")
        }
        let (bays, identifierProblem) = try await driveBays(sgPath: sgPath, through: transport)

        let slots = storage.enumerated().map { index, element in
            SlotInfo(number: index + 1, elementAddress: element.address, importExport: false,
                     full: element.full, barcode: element.barcode)
        } + importExport.enumerated().map { index, element in
            SlotInfo(number: storage.count + index + 1, elementAddress: element.address, importExport: true,
                     full: element.full, barcode: element.barcode)
        }
        return ChangerInfo(
            sgPath: sgPath, vendor: inquiry.vendor, product: inquiry.product, revision: inquiry.revision,
            serial: serial,
            elementCounts: ElementCounts(transports: transports.count, storage: storage.count,
                                         importExport: importExport.count, dataTransfer: bays.count),
            slots: slots, drives: bays, identifierProblem: identifierProblem)
    }

    /// The changer's drive bays with their DVCID serials, for candidate grouping. Failures
    /// become the identity's `queryProblem` rather than an error: the other changers and
    /// drives are still offered.
    public static func identity(of changer: DiscoveredDevice, through transport: any SCSITransport) async -> ChangerIdentity {
        do throws(DiscoveryError) {
            let (bays, identifierProblem) = try await driveBays(sgPath: changer.sgPath, through: transport)
            return ChangerIdentity(changer: changer, dataTransferElements: bays.map {
                DataTransferElementIdentity(elementAddress: $0.elementAddress, serial: $0.serial)
            }, identifierProblem: identifierProblem)
        } catch {
            return ChangerIdentity(changer: changer, dataTransferElements: [], queryProblem: error.description)
        }
    }

    /// Drive bays with identifiers. Some libraries reject DVCID together with VOLTAG (IBM
    /// TS3500): retry without VOLTAG; if DVCID fails altogether (Qualstar), report the bays
    /// without identifiers and say why.
    static func driveBays(sgPath: String, through transport: any SCSITransport)
        async throws(DiscoveryError) -> ([DriveBayStatus], String?) {
        var elements: [ElementStatus]?
        var problem: String?
        for volumeTag in [true, false] where elements == nil {
            do throws(SCSIError) {
                elements = try await self.elements(.dataTransfer, volumeTag: volumeTag, dvcid: true, through: transport)
            } catch {
                problem = "the changer rejected READ ELEMENT STATUS with DVCID (\(error))"
            }
        }
        var withIdentifiers = elements != nil
        if elements == nil {
            do throws(SCSIError) {
                elements = try await self.elements(.dataTransfer, through: transport)
            } catch {
                throw DiscoveryError(.deviceQueryFailed, "READ ELEMENT STATUS for the drives of \(sgPath) failed: \(error)")
            }
            withIdentifiers = false
        } else {
            problem = nil
        }
        let bays = (elements ?? []).sorted { $0.address < $1.address }.enumerated().map { index, element in
            DriveBayStatus(driveNumber: index, elementAddress: element.address, full: element.full,
                           barcode: element.barcode,
                           serial: withIdentifiers ? element.identifier?.serial : nil,
                           identifier: withIdentifiers ? element.identifier?.description : nil)
        }
        if withIdentifiers, !bays.isEmpty, bays.allSatisfy({ $0.serial == nil }) {
            problem = "the changer returned no device identifiers (DVCID) for its drives"
        }
        return (bays, problem)
    }

    static func standardInquiry(sgPath: String, through transport: any SCSITransport)
        async throws(DiscoveryError) -> StandardInquiry {
        do throws(SCSIError) {
            let result = try await DeviceCommand.run(.inquiry(), through: transport)
            do {
                return try StandardInquiry(parsing: result.data)
            } catch {
                throw SCSIError.parse(error)
            }
        } catch {
            throw DiscoveryError(.deviceQueryFailed, "INQUIRY to \(sgPath) failed: \(error)")
        }
    }

    /// Elements with volume tags; a changer without a barcode reader may refuse VOLTAG with
    /// ILLEGAL REQUEST, and is then asked without.
    static func elementsWithBarcodes(_ type: ElementType, through transport: any SCSITransport)
        async throws(SCSIError) -> [ElementStatus] {
        do {
            return try await elements(type, volumeTag: true, through: transport)
        } catch where error.matches(.illegalRequest) {
            return try await elements(type, volumeTag: false, through: transport)
        }
    }

    /// All elements of one type, paging by `pageSize` from address 0.
    static func elements(_ type: ElementType, volumeTag: Bool = true, dvcid: Bool = false,
                         through transport: any SCSITransport) async throws(SCSIError) -> [ElementStatus] {
        var collected: [ElementStatus] = []
        var start: UInt16 = 0
        for _ in 0..<maximumPages {
            let command = SCSICommand.readElementStatus(elementType: type, startingAddress: start, count: pageSize,
                                                        volumeTag: volumeTag, dvcid: dvcid)
            let result = try await DeviceCommand.run(command, through: transport)
            let report: ElementStatusReport
            do {
                report = try ElementStatusReport(parsing: result.data)
            } catch {
                throw .parse(error)
            }
            let page = report.elements(ofType: type).filter { $0.address >= start }
            collected.append(contentsOf: page)
            // Done when this page held everything asked for, or nothing new.
            guard page.count >= Int(pageSize) || report.isTruncated, let next = report.nextAddress, next > start,
                  !page.isEmpty else { break }
            start = next
        }
        var seen = Set<UInt16>()
        return collected.filter { seen.insert($0.address).inserted }
    }
}
