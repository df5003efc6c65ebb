import SCSI

/// One element of a library as the operator sees it, with the mtx-style number
/// (scsi-reference.md, "Slot numbering that operators expect").
public struct InventoryElement: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case transport, storage, importExport = "import_export", drive
    }

    public var kind: Kind
    /// The SCSI element address.
    public var address: UInt16
    /// mtx numbering: storage 1…n, import/export n+1…, drives 0… in address order, transports 0….
    public var number: Int
    public var full: Bool
    public var volumeTag: String?
    public var alternateVolumeTag: String?
    /// Where the cartridge came from (SVALID), as an element address.
    public var sourceAddress: UInt16?
    public var accessible: Bool
    public var exception: Bool
    public var asc: UInt8
    public var ascq: UInt8
    /// Drives: the identifier the changer reports for the drive (DVCID), usually its serial.
    public var driveSerial: String?
    public var driveVendor: String?
    public var driveProduct: String?
    /// Import/export elements: whether the element can take a cartridge in/out.
    public var importEnabled: Bool?
    public var exportEnabled: Bool?

    public init(kind: Kind, address: UInt16, number: Int, full: Bool, volumeTag: String? = nil,
                alternateVolumeTag: String? = nil, sourceAddress: UInt16? = nil, accessible: Bool = true,
                exception: Bool = false, asc: UInt8 = 0, ascq: UInt8 = 0, driveSerial: String? = nil,
                driveVendor: String? = nil, driveProduct: String? = nil,
                importEnabled: Bool? = nil, exportEnabled: Bool? = nil) {
        self.kind = kind
        self.address = address
        self.number = number
        self.full = full
        self.volumeTag = volumeTag
        self.alternateVolumeTag = alternateVolumeTag
        self.sourceAddress = sourceAddress
        self.accessible = accessible
        self.exception = exception
        self.asc = asc
        self.ascq = ascq
        self.driveSerial = driveSerial
        self.driveVendor = driveVendor
        self.driveProduct = driveProduct
        self.importEnabled = importEnabled
        self.exportEnabled = exportEnabled
    }
}

/// A complete inventory of a medium changer.
public struct LibraryInventory: Sendable, Hashable, Codable {
    public var transports: [InventoryElement]
    public var drives: [InventoryElement]
    public var storage: [InventoryElement]
    public var importExport: [InventoryElement]

    public init(transports: [InventoryElement], drives: [InventoryElement],
                storage: [InventoryElement], importExport: [InventoryElement]) {
        self.transports = transports
        self.drives = drives
        self.storage = storage
        self.importExport = importExport
    }

    public var allElements: [InventoryElement] { transports + drives + storage + importExport }

    public func element(address: UInt16) -> InventoryElement? {
        allElements.first { $0.address == address }
    }

    /// Storage slot by mtx number (1-based); import/export slots continue the numbering.
    public func slot(number: Int) -> InventoryElement? {
        if number >= 1 && number <= storage.count { return storage[number - 1] }
        let ie = number - storage.count - 1
        if ie >= 0 && ie < importExport.count { return importExport[ie] }
        return nil
    }

    public func drive(number: Int) -> InventoryElement? {
        drives.indices.contains(number) ? drives[number] : nil
    }

    /// The element currently holding the cartridge with this volume tag.
    public func location(ofVolumeTag tag: String) -> InventoryElement? {
        allElements.first { $0.full && $0.volumeTag == tag }
    }
}

extension InventoryElement {
    enum CodingKeys: String, CodingKey {
        case kind, address, number, full, volumeTag, alternateVolumeTag, sourceAddress, accessible
        case exception, asc, ascq, driveSerial, driveVendor, driveProduct, importEnabled, exportEnabled
    }

    /// Encodes `volumeTag` (and the drive serial for drives) as null when absent, so that
    /// scripts can rely on the keys being present.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(address, forKey: .address)
        try c.encode(number, forKey: .number)
        try c.encode(full, forKey: .full)
        try c.encode(volumeTag, forKey: .volumeTag)
        try c.encodeIfPresent(alternateVolumeTag, forKey: .alternateVolumeTag)
        try c.encodeIfPresent(sourceAddress, forKey: .sourceAddress)
        try c.encode(accessible, forKey: .accessible)
        try c.encode(exception, forKey: .exception)
        try c.encode(asc, forKey: .asc)
        try c.encode(ascq, forKey: .ascq)
        if kind == .drive { try c.encode(driveSerial, forKey: .driveSerial) }
        try c.encodeIfPresent(driveVendor, forKey: .driveVendor)
        try c.encodeIfPresent(driveProduct, forKey: .driveProduct)
        try c.encodeIfPresent(importEnabled, forKey: .importEnabled)
        try c.encodeIfPresent(exportEnabled, forKey: .exportEnabled)
    }
}
