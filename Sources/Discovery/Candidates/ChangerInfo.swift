/// How many elements of each type a changer has.
public struct ElementCounts: Sendable, Hashable, Codable {
    public var transports: Int
    public var storage: Int
    public var importExport: Int
    public var dataTransfer: Int

    public init(transports: Int, storage: Int, importExport: Int, dataTransfer: Int) {
        self.transports = transports
        self.storage = storage
        self.importExport = importExport
        self.dataTransfer = dataTransfer
    }
}

/// A storage or import/export slot, numbered as operators expect (mtx style): storage slots
/// 1…n in address order, then import/export slots n+1….
public struct SlotInfo: Sendable, Hashable, Codable {
    public var number: Int
    public var elementAddress: UInt16
    public var importExport: Bool
    public var full: Bool
    public var barcode: String?
}

/// A data-transfer element (drive bay) as the changer reports it.
public struct DriveBayStatus: Sendable, Hashable, Codable {
    /// 0… in element-address order.
    public var driveNumber: Int
    public var elementAddress: UInt16
    public var full: Bool
    public var barcode: String?
    /// The drive serial from the DVCID identifier, nil when the changer gave none.
    public var serial: String?
    /// The identifier as reported ("IBM ULT3580-TD8 1013000123"), nil without DVCID.
    public var identifier: String?
}

/// What the candidate-info endpoint shows for a changer path: INQUIRY, element counts, slots.
public struct ChangerInfo: Sendable, Hashable, Codable {
    public var sgPath: String
    public var vendor: String
    public var product: String
    public var revision: String
    public var serial: String?
    public var elementCounts: ElementCounts
    public var slots: [SlotInfo]
    public var drives: [DriveBayStatus]
    /// Set when the changer would not report device identifiers (DVCID), so drives cannot
    /// be matched to bays by serial.
    public var identifierProblem: String?
}
