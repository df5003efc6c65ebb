import SCSI

/// The changer's element address map: first address and count per element type, from
/// mode page 1Dh (SMC-3 table 29, element address assignment page).
public struct ElementAssignment: Sendable, Hashable {
    public struct Range: Sendable, Hashable {
        public var type: ElementType
        public var firstAddress: UInt16
        public var count: Int
    }

    public var page: ElementAddressAssignmentPage

    public init(page: ElementAddressAssignmentPage) { self.page = page }

    /// Parses a MODE SENSE(6) response holding page 1Dh.
    public init(modeSense6 data: [UInt8]) throws(SCSIParseError) {
        let parameters = try ModeParameters(parsing6: data)
        guard let page = parameters.page(0x1D) else {
            throw SCSIParseError(.invalidField, "MODE SENSE element address assignment", offset: 0,
                                 "page 1Dh missing from the response")
        }
        self.page = try ElementAddressAssignmentPage(page)
    }

    /// Transport, storage, import/export and data transfer ranges, in that order.
    public var ranges: [Range] {
        [ElementType.mediumTransport, .storage, .importExport, .dataTransfer].compactMap(range(of:))
    }

    public func range(of type: ElementType) -> Range? {
        page.range(of: type).map { Range(type: type, firstAddress: $0.first, count: Int($0.count)) }
    }
}
