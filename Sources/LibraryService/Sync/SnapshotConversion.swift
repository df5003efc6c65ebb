import Catalog
import TapeHardware

extension InventorySnapshot {
    /// The catalog's view of a changer's inventory (READ ELEMENT STATUS as TapeHardware reads it).
    public init(_ inventory: LibraryInventory) {
        var elements: [Catalog.InventoryElement] = []
        elements.reserveCapacity(inventory.transports.count + inventory.drives.count
                                 + inventory.storage.count + inventory.importExport.count)
        var drives: [InventoryDrive] = []
        for group in [inventory.transports, inventory.drives, inventory.storage, inventory.importExport] {
            for element in group {
                let tag = element.volumeTag.flatMap { $0.isEmpty ? nil : $0 }
                elements.append(Catalog.InventoryElement(
                    address: Int(element.address), kind: SlotKind(element.kind), isFull: element.full,
                    volumeTag: tag, sourceElement: element.sourceAddress.map(Int.init),
                    isAccessible: element.accessible,
                    exception: element.exception ? ElementException(asc: element.asc, ascq: element.ascq) : nil))
                if element.kind == .drive {
                    drives.append(InventoryDrive(address: Int(element.address), serialNumber: element.driveSerial))
                }
            }
        }
        self.init(elements: elements, drives: drives)
    }
}

extension SlotKind {
    init(_ kind: TapeHardware.InventoryElement.Kind) {
        switch kind {
        case .transport: self = .transport
        case .storage: self = .storage
        case .importExport: self = .importExport
        case .drive: self = .drive
        }
    }
}
