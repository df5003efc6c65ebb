/// A physical inventory of one library as the changer reports it (READ ELEMENT STATUS, SMC-3
/// 6.11): the library service builds this from element descriptors; the catalog reconciles to it.
public struct InventorySnapshot: Sendable, Equatable {
    public var elements: [InventoryElement]
    public var drives: [InventoryDrive]

    public init(elements: [InventoryElement], drives: [InventoryDrive] = []) {
        self.elements = elements
        self.drives = drives
    }
}

/// One element descriptor: address, kind and what it holds.
public struct InventoryElement: Sendable, Equatable {
    public var address: Int
    public var kind: SlotKind
    public var isFull: Bool
    /// Primary volume tag with padding removed; nil or empty when unlabeled or unread.
    public var volumeTag: String?
    /// Where the medium came from (SVALID set), else nil.
    public var sourceElement: Int?
    public var isAccessible: Bool
    /// ASC/ASCQ when the EXCEPT bit is set.
    public var exception: ElementException?

    public init(address: Int, kind: SlotKind, isFull: Bool, volumeTag: String? = nil,
                sourceElement: Int? = nil, isAccessible: Bool = true, exception: ElementException? = nil) {
        self.address = address; self.kind = kind; self.isFull = isFull; self.volumeTag = volumeTag
        self.sourceElement = sourceElement; self.isAccessible = isAccessible; self.exception = exception
    }
}

public struct ElementException: Sendable, Equatable {
    public var asc: UInt8
    public var ascq: UInt8

    public init(asc: UInt8, ascq: UInt8) { self.asc = asc; self.ascq = ascq }
}

/// Identity of the drive at a data-transfer element (DVCID), used to fill in drive serials.
public struct InventoryDrive: Sendable, Equatable {
    public var address: Int
    public var serialNumber: String?

    public init(address: Int, serialNumber: String?) {
        self.address = address; self.serialNumber = serialNumber
    }
}

/// What a reconciliation changed.
public struct ReconcileSummary: Sendable, Equatable {
    public struct Move: Sendable, Equatable {
        public var volumeTag: String
        /// Element address it was at in this library; nil if it came from offline or another library.
        public var fromAddress: Int?
        public var toAddress: Int
    }

    public var slotsAdded = 0
    public var slotsUpdated = 0
    public var slotsRemoved = 0
    /// Cartridges the catalog did not know (the API answers sync with 422 when non-empty).
    public var cartridgesCreated: [String] = []
    public var cartridgesMoved: [Move] = []
    public var cartridgesMarkedOffline: [String] = []
    /// Full elements without a readable volume tag.
    public var unlabeledElements: [Int] = []
    /// Tags reported by more than one element; only the first element keeps the cartridge.
    public var duplicateVolumeTags: [String] = []
    public var drivesUpdated = 0

    public var changedAnything: Bool {
        slotsAdded + slotsUpdated + slotsRemoved + cartridgesCreated.count + cartridgesMoved.count
            + cartridgesMarkedOffline.count + drivesUpdated > 0
    }
}
