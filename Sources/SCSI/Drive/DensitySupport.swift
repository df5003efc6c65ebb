/// One density support descriptor of REPORT DENSITY SUPPORT (SSC-4 table 40, 52 bytes):
/// primary density (0), secondary density (1), WRTOK 80h / DUP 40h / DEFLT 20h / DLV 01h (2),
/// descriptor length (3–4, valid when DLV is set; reserved before SSC-4), bits per mm (5–7), media width (8–9), tracks (10–11),
/// capacity in MB (12–15), assigning organization (16–23), density name (24–31),
/// description (32–51).
public struct DensityDescriptor: Sendable, Hashable {
    public var primaryDensityCode: UInt8
    public var secondaryDensityCode: UInt8
    /// WRTOK: the drive can write this density.
    public var writable: Bool
    public var duplicate: Bool
    /// DEFLT: the default density.
    public var isDefault: Bool
    public var bitsPerMM: UInt32
    public var mediaWidth: UInt16
    public var tracks: UInt16
    /// Capacity in megabytes (10^6 bytes).
    public var capacityMB: UInt32
    public var organization: String
    public var name: String
    public var descriptionText: String

    public init(primaryDensityCode: UInt8, secondaryDensityCode: UInt8 = 0, writable: Bool = true,
                duplicate: Bool = false, isDefault: Bool = false, bitsPerMM: UInt32 = 0, mediaWidth: UInt16 = 127,
                tracks: UInt16 = 0, capacityMB: UInt32 = 0, organization: String = "LTO-CVE",
                name: String, descriptionText: String = "") {
        self.primaryDensityCode = primaryDensityCode
        self.secondaryDensityCode = secondaryDensityCode
        self.writable = writable
        self.duplicate = duplicate
        self.isDefault = isDefault
        self.bitsPerMM = bitsPerMM
        self.mediaWidth = mediaWidth
        self.tracks = tracks
        self.capacityMB = capacityMB
        self.organization = organization
        self.name = name
        self.descriptionText = descriptionText
    }

    /// The LTO generation this density code belongs to.
    public var ltoGeneration: LTOGeneration? { LTOGeneration(densityCode: primaryDensityCode) }

    public var encoded: [UInt8] {
        // DLV set: the descriptor length (2Dh) is valid, as SSC-4 drives send it.
        let flags: UInt8 = (writable ? 0x80 : 0) | (duplicate ? 0x40 : 0) | (isDefault ? 0x20 : 0) | 0x01
        func text(_ s: String, _ n: Int) -> [UInt8] {
            let b = Array(s.utf8.prefix(n))
            return b + Array(repeating: 0x20, count: n - b.count)
        }
        return [primaryDensityCode, secondaryDensityCode, flags, 0x00, 0x2D]
            + BigEndian.bytes(UInt64(bitsPerMM), count: 3) + BigEndian.bytes(UInt64(mediaWidth), count: 2)
            + BigEndian.bytes(UInt64(tracks), count: 2) + BigEndian.bytes(UInt64(capacityMB), count: 4)
            + text(organization, 8) + text(name, 8) + text(descriptionText, 20)
    }
}

/// REPORT DENSITY SUPPORT data with MEDIUM TYPE = 0 (SSC-4 table 39): AVAILABLE DENSITY
/// SUPPORT LENGTH (2), reserved (2), then 52-byte density descriptors.
public struct DensitySupportReport: Sendable, Hashable {
    public var descriptors: [DensityDescriptor]

    public init(descriptors: [DensityDescriptor]) { self.descriptors = descriptors }

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "REPORT DENSITY SUPPORT header")
        let available = Int(try r.u16())
        try r.skip(2)
        let end = min(data.count, 2 + available)
        var d = ByteReader(data[4..<max(4, end)], context: "density support descriptor")
        var list: [DensityDescriptor] = []
        while d.remaining >= 52 {
            let primary = try d.u8()
            let secondary = try d.u8()
            let flags = try d.u8()
            let length = Int(try d.u16())
            // DLV (bit 0): the DESCRIPTOR LENGTH field is valid (SSC-4). Without it the field
            // is reserved (SSC-2/SSC-3 drives send 0000h): the descriptor is 52 bytes either way.
            guard flags & 0x01 == 0 || length == 0x2D else {
                throw SCSIParseError(.invalidField, d.context, offset: d.offset - 2,
                                     "descriptor length \(length), expected 45")
            }
            list.append(DensityDescriptor(
                primaryDensityCode: primary, secondaryDensityCode: secondary, writable: flags & 0x80 != 0,
                duplicate: flags & 0x40 != 0, isDefault: flags & 0x20 != 0, bitsPerMM: try d.u24(),
                mediaWidth: try d.u16(), tracks: try d.u16(), capacityMB: try d.u32(),
                organization: try d.ascii(8), name: try d.ascii(8), descriptionText: try d.ascii(20)))
        }
        descriptors = list
    }

    public var encoded: [UInt8] {
        let body = descriptors.flatMap(\.encoded)
        return BigEndian.bytes(UInt64(body.count + 2), count: 2) + [0, 0] + body
    }
}
