/// The numbering operators know from mtx: storage slots 1…n in element-address order,
/// then import/export slots n+1…; drives 0… in element-address order; transports 0….
public struct ElementNumbering: Sendable, Hashable {
    public private(set) var storageAndImportExport: [UInt16]
    public private(set) var drives: [UInt16]
    public private(set) var transports: [UInt16]
    /// How many of `storageAndImportExport` are storage elements.
    public private(set) var storageCount: Int

    public init(_ elements: [ElementStatus]) {
        func addresses(_ t: ElementType) -> [UInt16] {
            Array(Set(elements.filter { $0.type == t }.map(\.address))).sorted()
        }
        let storage = addresses(.storage)
        storageAndImportExport = storage + addresses(.importExport)
        storageCount = storage.count
        drives = addresses(.dataTransfer)
        transports = addresses(.mediumTransport)
    }

    /// The element address of slot `number` (1-based, import/export after storage).
    public func address(ofSlot number: Int) -> UInt16? {
        storageAndImportExport.indices.contains(number - 1) ? storageAndImportExport[number - 1] : nil
    }

    /// The slot number of a storage or import/export element address.
    public func slotNumber(of address: UInt16) -> Int? {
        storageAndImportExport.firstIndex(of: address).map { $0 + 1 }
    }

    /// The element address of drive `index` (0-based).
    public func address(ofDrive index: Int) -> UInt16? {
        drives.indices.contains(index) ? drives[index] : nil
    }

    /// The drive index of a data transfer element address.
    public func driveIndex(of address: UInt16) -> Int? { drives.firstIndex(of: address) }

    /// Whether slot `number` is an import/export element.
    public func isImportExport(slot number: Int) -> Bool {
        number > storageCount && number <= storageAndImportExport.count
    }
}
