/// Medium type of an element's cartridge (SMC-3, element descriptor byte 9 bits 2–0).
public enum ElementMediumType: UInt8, Sendable, Hashable, Codable {
    case unspecified = 0, data = 1, cleaning = 2, diagnostic = 3, worm = 4, microcode = 5
    case reserved6 = 6, reserved7 = 7
}

/// The status of one element as READ ELEMENT STATUS reports it
/// (SMC-3 6.11.3, element descriptors of all four element types).
public struct ElementStatus: Sendable, Hashable {
    public var type: ElementType
    public var address: UInt16
    /// FULL: a cartridge is in the element.
    public var full: Bool
    /// IMPEXP (import/export elements): the cartridge was placed by an operator.
    public var importedByOperator: Bool
    /// EXCEPT: the element is in an abnormal state; see `additionalSense`.
    public var exception: Bool
    /// ACCESS: the medium transport can reach the element.
    public var accessible: Bool
    /// EXENAB / INENAB (import/export elements): export and import are allowed.
    public var exportEnabled: Bool
    public var importEnabled: Bool
    /// ASC/ASCQ describing an exception.
    public var additionalSense: AdditionalSense
    /// ED: the element is disabled.
    public var disabled: Bool
    public var mediumType: ElementMediumType
    /// SVALID and SOURCE STORAGE ELEMENT ADDRESS: where the cartridge came from.
    public var sourceAddress: UInt16?
    /// INVERT: the medium was inverted when moved here.
    public var inverted: Bool
    public var primaryVolumeTag: VolumeTag?
    public var alternateVolumeTag: VolumeTag?
    /// The identification descriptor (DVCID), usually only for data transfer elements.
    public var identifier: DeviceIdentifier?

    public init(type: ElementType, address: UInt16, full: Bool = false,
                importedByOperator: Bool = false, exception: Bool = false, accessible: Bool = true,
                exportEnabled: Bool = false, importEnabled: Bool = false,
                additionalSense: AdditionalSense = .noAdditionalSense, disabled: Bool = false,
                mediumType: ElementMediumType = .unspecified, sourceAddress: UInt16? = nil,
                inverted: Bool = false, primaryVolumeTag: VolumeTag? = nil,
                alternateVolumeTag: VolumeTag? = nil, identifier: DeviceIdentifier? = nil) {
        self.type = type
        self.address = address
        self.full = full
        self.importedByOperator = importedByOperator
        self.exception = exception
        self.accessible = accessible
        self.exportEnabled = exportEnabled
        self.importEnabled = importEnabled
        self.additionalSense = additionalSense
        self.disabled = disabled
        self.mediumType = mediumType
        self.sourceAddress = sourceAddress
        self.inverted = inverted
        self.primaryVolumeTag = primaryVolumeTag
        self.alternateVolumeTag = alternateVolumeTag
        self.identifier = identifier
    }

    /// The barcode of the primary volume tag of a full element. An empty element's tag is
    /// ignored: some changers leave the last cartridge's label in it (PBS does the same).
    public var barcode: String? { full ? primaryVolumeTag?.identifier : nil }

    /// Decodes one element descriptor of `length` bytes (SMC-3 6.11.3):
    /// address (0–1), flags (2), ASC/ASCQ (4–5), byte 9 SVALID bit 7, INVERT bit 6, ED bit 3,
    /// medium type bits 2–0, source address (10–11), then the volume tags and the
    /// identification descriptor.
    static func parse(_ r: inout ByteReader, type: ElementType, primaryTag: Bool,
                      alternateTag: Bool) throws(SCSIParseError) -> ElementStatus {
        let address = try r.u16()
        let flags = try r.u8()
        try r.skip(1)
        let asc = try r.u8()
        let ascq = try r.u8()
        try r.skip(3)
        let b9 = try r.u8()
        let source = try r.u16()
        // Every field is read before the value is built once (no copy per assignment).
        let primaryVolumeTag = primaryTag ? try VolumeTag.parse(&r) : nil
        let alternateVolumeTag = alternateTag && hasAlternateTag(r) ? try VolumeTag.parse(&r) : nil
        // Identification descriptor: code set, identifier type, reserved, length, identifier.
        // Devices without DVCID support leave these bytes reserved (zero length).
        var identifier: DeviceIdentifier?
        if r.remaining >= 4 {
            let codeSet = try r.u8() & 0x0F
            let idType = try r.u8() & 0x0F
            try r.skip(1)
            let length = Int(try r.u8())
            if length > 0 {
                guard r.remaining >= length else {
                    throw SCSIParseError(.invalidField, r.context, offset: r.offset,
                                         "identifier length \(length) exceeds descriptor")
                }
                identifier = DeviceIdentifier(codeSet: codeSet, identifierType: idType,
                                              identifier: try r.bytes(length))
            }
        }
        return ElementStatus(
            type: type, address: address, full: flags & 0x01 != 0,
            importedByOperator: type == .importExport && flags & 0x02 != 0,
            exception: flags & 0x04 != 0,
            // Transport elements have no ACCESS bit: they are always accessible.
            accessible: type == .mediumTransport || flags & 0x08 != 0,
            exportEnabled: type == .importExport && flags & 0x10 != 0,
            importEnabled: type == .importExport && flags & 0x20 != 0,
            additionalSense: AdditionalSense(asc, ascq), disabled: b9 & 0x08 != 0,
            mediumType: ElementMediumType(rawValue: b9 & 0x07) ?? .unspecified,
            sourceAddress: b9 & 0x80 != 0 ? source : nil, inverted: b9 & 0x40 != 0,
            primaryVolumeTag: primaryVolumeTag, alternateVolumeTag: alternateVolumeTag,
            identifier: identifier)
    }

    /// Whether the bytes after the primary tag hold the alternate tag that AVOLTAG announces.
    /// mhVTL's Spectra and HP MSL personalities set AVOLTAG on data transfer pages but send
    /// only the identification descriptor there: when fewer than 36 bytes remain, or the
    /// remaining bytes are exactly one identification descriptor (code set 1–3, reserved 0,
    /// length = the rest), there is no alternate tag.
    static func hasAlternateTag(_ r: ByteReader) -> Bool {
        let remaining = r.remaining
        guard remaining >= 32 else { return false }
        let base = r.bytes.startIndex + r.offset
        let codeSet = r.bytes[base] & 0x0F
        let looksLikeIdentifier = (1...3).contains(codeSet) && r.bytes[base + 2] == 0
            && Int(r.bytes[base + 3]) == remaining - 4
        return !looksLikeIdentifier
    }

    /// Encodes this element as a descriptor of an element status page (the inverse of the
    /// parser), for simulators and tests. `descriptorLength` pads with zero bytes.
    public func encodedDescriptor(primaryTag: Bool, alternateTag: Bool, identifierLength: Int? = nil) -> [UInt8] {
        var flags: UInt8 = full ? 0x01 : 0
        if exception { flags |= 0x04 }
        if accessible && type != .mediumTransport { flags |= 0x08 }
        if type == .importExport {
            if importedByOperator { flags |= 0x02 }
            if exportEnabled { flags |= 0x10 }
            if importEnabled { flags |= 0x20 }
        }
        var b9: UInt8 = mediumType.rawValue
        if sourceAddress != nil { b9 |= 0x80 }
        if inverted { b9 |= 0x40 }
        if disabled { b9 |= 0x08 }
        var out = BigEndian.bytes(UInt64(address), count: 2) + [flags, 0, additionalSense.asc,
                                                               additionalSense.ascq, 0, 0, 0, b9]
        out += BigEndian.bytes(UInt64(sourceAddress ?? 0), count: 2)
        let blank = VolumeTag(identifier: "").encoded
        if primaryTag { out += primaryVolumeTag?.encoded ?? blank }
        if alternateTag { out += alternateVolumeTag?.encoded ?? blank }
        if let identifierLength {
            let id = identifier?.identifier ?? []
            let body = Array(id.prefix(identifierLength))
                + Array(repeating: 0, count: max(0, identifierLength - id.count))
            out += [identifier?.codeSet ?? 0, identifier?.identifierType ?? 0, 0,
                    UInt8(truncatingIfNeeded: identifier == nil ? 0 : identifierLength)]
            out += identifier == nil ? Array(repeating: 0, count: identifierLength) : body
        } else {
            out += [0, 0, 0, 0]
        }
        return out
    }
}
