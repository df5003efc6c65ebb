/// A READ ELEMENT STATUS response (SMC-3 6.11.2): an 8-byte element status header, then
/// one element status page (8-byte page header + descriptors) per element type.
public struct ElementStatusReport: Sendable, Hashable {
    /// FIRST ELEMENT ADDRESS REPORTED.
    public var firstAddress: UInt16
    /// NUMBER OF ELEMENTS AVAILABLE (may exceed `elements.count` when cut short).
    public var availableCount: Int
    /// Elements in response order.
    public var elements: [ElementStatus]
    /// True when BYTE COUNT OF REPORT AVAILABLE exceeded the bytes transferred (allocation
    /// length too small): `elements` then holds the complete descriptors only.
    public var isTruncated: Bool

    public init(firstAddress: UInt16 = 0, availableCount: Int? = nil, elements: [ElementStatus],
                isTruncated: Bool = false) {
        self.firstAddress = firstAddress
        self.availableCount = availableCount ?? elements.count
        self.elements = elements
        self.isTruncated = isTruncated
    }

    /// Detail text of the error thrown for tgt-style overlapping pages.
    public static let overlappingPagesDetail =
        "overlapping element status pages: page offsets ignore the 8-byte page headers (tgt); request one element type at a time"

    /// Parses one response.
    ///
    /// Strict where a wrong guess would misplace cartridges: an element status page must
    /// name element type 1–4 and a descriptor length that holds the fixed fields and the
    /// volume tags its flags announce, or the parse throws. A response whose pages overlap
    /// (page byte counts that ignore the 8-byte page headers, as tgt answers an all-types
    /// request) is detected and rejected with `overlappingPagesDetail`, so the caller can
    /// fall back to one request per element type rather than trust a corrupted last element.
    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ ELEMENT STATUS header")
        firstAddress = try r.u16()
        availableCount = Int(try r.u16())
        try r.skip(1)
        let reportBytes = Int(try r.u24())
        let available = data.count - 8
        isTruncated = reportBytes > available
        let end = 8 + min(reportBytes, available)
        var offset = 8
        var elements: [ElementStatus] = []
        var previousPage: (start: Int, type: ElementType)?
        while end - offset >= 8 {
            let header = Array(data[offset..<(offset + 8)])
            guard let page = PageHeader(header) else {
                if let previousPage,
                   ElementStatusReport.hasOverlappingHeader(data, after: previousPage, before: offset) {
                    throw SCSIParseError(.invalidField, "READ ELEMENT STATUS", offset: offset,
                                         ElementStatusReport.overlappingPagesDetail)
                }
                throw SCSIParseError(.invalidField, "READ ELEMENT STATUS page header", offset: offset,
                                     "bytes " + header.map(hex).joined(separator: " "))
            }
            previousPage = (offset, page.type)
            let pageStart = offset + 8
            let pageEnd = min(end, pageStart + page.byteCount)
            let pageCut = pageStart + page.byteCount > end
            if page.descriptorLength > 0 {
                let context = "READ ELEMENT STATUS \(page.type) descriptor"
                elements.reserveCapacity(elements.count + (pageEnd - pageStart) / page.descriptorLength)
                var d = pageStart
                // A descriptor cut short by the end of the transfer is still used when its
                // fixed fields and announced volume tags are complete (tgt cuts the last
                // 8 bytes of every response); only the identifier may then be missing.
                while pageEnd - d >= page.descriptorLength
                        || (pageCut && pageEnd - d >= page.minimumDescriptorLength) {
                    let length = min(page.descriptorLength, pageEnd - d)
                    var dr = ByteReader(data[d..<(d + length)], context: context)
                    elements.append(try ElementStatus.parse(&dr, type: page.type,
                                                            primaryTag: page.primaryTag,
                                                            alternateTag: page.alternateTag))
                    d += length
                }
            }
            offset = pageStart + page.byteCount
        }
        self.elements = elements
    }

    /// Whether a valid page header of a later element type starts inside the previous
    /// page's descriptor area: the pages overlap (tgt places each page header at the sum of
    /// the previous descriptor byte counts, without the 8-byte headers).
    private static func hasOverlappingHeader(_ data: [UInt8], after previous: (start: Int, type: ElementType),
                                             before offset: Int) -> Bool {
        var p = previous.start + 8
        while p + 8 <= offset {
            if let h = PageHeader(Array(data[p..<(p + 8)])), h.type.rawValue > previous.type.rawValue {
                return true
            }
            p += 1
        }
        return false
    }

    /// An element status page header (SMC-3 6.11.3): type (byte 0), PVOLTAG byte 1 bit 7,
    /// AVOLTAG bit 6, descriptor length bytes 2–3, byte count of descriptor data bytes 5–7.
    struct PageHeader {
        var type: ElementType
        var primaryTag: Bool
        var alternateTag: Bool
        var descriptorLength: Int
        var byteCount: Int
        /// The shortest usable cut descriptor: fixed fields and the primary volume
        /// identifier (its reserved and sequence bytes may be missing).
        var minimumDescriptorLength: Int { primaryTag ? 12 + 32 : 12 }

        init?(_ b: [UInt8]) {
            guard b.count == 8, let type = ElementType(rawValue: b[0]), type != .all,
                  b[1] & 0x3F == 0, b[4] == 0 else { return nil }
            self.type = type
            primaryTag = b[1] & 0x80 != 0
            alternateTag = b[1] & 0x40 != 0
            descriptorLength = Int(b[2]) << 8 | Int(b[3])
            byteCount = Int(b[5]) << 16 | Int(b[6]) << 8 | Int(b[7])
            // AVOLTAG does not raise the minimum: some emulations set it without a tag.
            let minimum = 12 + (primaryTag ? 36 : 0)
            if byteCount > 0 {
                guard descriptorLength >= minimum, byteCount % descriptorLength == 0 else { return nil }
            } else if descriptorLength != 0 && descriptorLength < minimum {
                return nil
            }
        }
    }

    /// Merges the responses of a paged inventory (several requests with increasing starting
    /// addresses or one per element type): elements are ordered by type (transport, storage,
    /// import/export, data transfer) and address; a repeated (type, address) keeps the first.
    public static func merged(_ reports: [ElementStatusReport]) -> ElementStatusReport {
        var all: [ElementStatus] = []
        all.reserveCapacity(reports.reduce(0) { $0 + $1.elements.count })
        for report in reports { all.append(contentsOf: report.elements) }
        // The usual case, one request series per type in order, is already sorted without
        // repeats: only check that (no hashing, no sort).
        if !isStrictlyAscending(all) {
            var seen = Set<UInt32>()
            all = all.filter { seen.insert(sortKey($0)).inserted }
            all.sort { sortKey($0) < sortKey($1) }
        }
        var firstAddress = all.first?.address ?? 0
        for e in all where e.address < firstAddress { firstAddress = e.address }
        return ElementStatusReport(firstAddress: firstAddress,
                                   availableCount: all.count, elements: all,
                                   isTruncated: reports.contains { $0.isTruncated })
    }

    /// Orders by element type code, then address (the merge order).
    private static func sortKey(_ e: ElementStatus) -> UInt32 {
        UInt32(e.type.rawValue) << 16 | UInt32(e.address)
    }

    private static func isStrictlyAscending(_ elements: [ElementStatus]) -> Bool {
        areInMergeOrder([ElementStatusReport(elements: elements)])
    }

    /// Whether the elements of `reports`, taken in order, are already in merge order (type,
    /// then address) without repeats: `merged` then only concatenates them.
    public static func areInMergeOrder(_ reports: [ElementStatusReport]) -> Bool {
        var previous: UInt32?
        for report in reports {
            let elements = report.elements
            for i in elements.indices {   // by index: a for-in loop would copy each element
                let key = sortKey(elements[i])
                if let previous, key <= previous { return false }
                previous = key
            }
        }
        return true
    }

    /// Elements of one type, in address order.
    public func elements(ofType type: ElementType) -> [ElementStatus] {
        let selected = elements.filter { $0.type == type }
        var ordered = true
        for i in selected.indices.dropFirst() where selected[i - 1].address > selected[i].address {
            ordered = false
            break
        }
        return ordered ? selected : selected.sorted { $0.address < $1.address }
    }

    /// The element at `address`, if reported.
    public func element(at address: UInt16) -> ElementStatus? {
        elements.first { $0.address == address }
    }

    /// The address after the last reported element, to continue a paged inventory.
    public var nextAddress: UInt16? {
        guard let last = elements.map(\.address).max(), last < .max else { return nil }
        return last + 1
    }

    /// Encodes a response as a device returns it: consecutive elements of the same type
    /// form one page. `identifierLength` (DVCID) adds an identification descriptor of that
    /// many bytes to data transfer descriptors. For simulators and tests.
    public func encoded(primaryTag: Bool = true, alternateTag: Bool = false,
                        identifierLength: Int? = nil) -> [UInt8] {
        var pages: [UInt8] = []
        var i = 0
        while i < elements.count {
            let type = elements[i].type
            var j = i
            var descriptors: [UInt8] = []
            var length = 0
            while j < elements.count, elements[j].type == type {
                let idLen = type == .dataTransfer ? identifierLength : nil
                let d = elements[j].encodedDescriptor(primaryTag: primaryTag, alternateTag: alternateTag,
                                                      identifierLength: idLen)
                length = d.count
                descriptors += d
                j += 1
            }
            let flags: UInt8 = (primaryTag ? 0x80 : 0) | (alternateTag ? 0x40 : 0)
            pages += [type.rawValue, flags] + BigEndian.bytes(UInt64(length), count: 2) + [0]
                + BigEndian.bytes(UInt64(descriptors.count), count: 3) + descriptors
            i = j
        }
        return BigEndian.bytes(UInt64(firstAddress), count: 2)
            + BigEndian.bytes(UInt64(availableCount), count: 2) + [0]
            + BigEndian.bytes(UInt64(pages.count), count: 3) + pages
    }
}

extension SCSIParseError {
    /// True for the tgt-style overlapping READ ELEMENT STATUS pages.
    public var isOverlappingElementPages: Bool {
        detail == ElementStatusReport.overlappingPagesDetail
    }
}
