import SCSI

/// Element status read straight from the changer, for checks made just before a robot or
/// drive step (rather than trusting an inventory read earlier).
extension MediumChanger {
    /// One element's status with its volume tag, as the changer reports it now.
    public func elementStatus(address: UInt16) async throws(SCSIError) -> ElementStatus? {
        let report = try await readElementPage(type: .all, start: address, count: 1,
                                               allocationLength: Self.allocationLength(forBytes: 16 + 122),
                                               volumeTags: true, identifiers: false)
        return report.element(at: address)
    }

    /// The import/export elements with IMPEXP (placed by the operator or by the robot) and
    /// volume tags.
    public func importExportStatus() async throws(SCSIError) -> [ElementStatus] {
        let assignment = try await elementAssignment()
        guard let range = assignment.range(of: .importExport), range.count > 0 else { return [] }
        let report = try await readElementPage(type: .importExport, start: range.firstAddress, count: range.count,
                                               allocationLength: Self.allocationLength(forBytes: 16 + range.count * 122),
                                               volumeTags: true, identifiers: false)
        return report.elements.filter { $0.type == .importExport }
    }
}
