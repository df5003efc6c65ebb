import Foundation
import GRDB

extension CatalogDatabase {
    // MARK: Creation

    public func insert(_ server: MediaServer) async throws(CatalogError) -> MediaServer {
        try await write { db in var row = server; try row.insert(db); return row }
    }

    public func insert(_ pool: Pool) async throws(CatalogError) -> Pool {
        try await write { db in var row = pool; try row.insert(db); return row }
    }

    public func insert(_ changer: MediumChanger) async throws(CatalogError) -> MediumChanger {
        guard SCSIPath(changer.scsiPath) != nil else {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(changer.scsiPath)")
        }
        return try await write { db in var row = changer; try row.insert(db); return row }
    }

    public func insert(_ library: TapeLibrary) async throws(CatalogError) -> TapeLibrary {
        try await write { db in var row = library; try row.insert(db); return row }
    }

    public func insert(_ drive: LibraryTapeDrive) async throws(CatalogError) -> LibraryTapeDrive {
        guard SCSIPath(drive.scsiPath) != nil else {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(drive.scsiPath)")
        }
        return try await write { db in var row = drive; try row.insert(db); return row }
    }

    public func insert(_ slot: LibrarySlot) async throws(CatalogError) -> LibrarySlot {
        try await write { db in
            var row = slot
            try row.insert(db)
            var counts = SlotCountDelta()
            counts.add(kind: slot.kind, full: slot.full, address: slot.elementAddress)
            try counts.apply(db, library: slot.libraryId)
            return row
        }
    }

    /// Registers a cartridge (POST tape_cartridges). Type, capacity, WORM and cleaning status come
    /// from the named type, else from the barcode suffix.
    public func registerCartridge(volumeTag: String, typeName: String? = nil, poolName: String? = nil,
                                  description: String = "") async throws(CatalogError) -> TapeCartridge {
        try await write { db in
            let table = try TapeTypeTable.load(db)
            let type: TapeType?
            if let typeName {
                guard let named = table.types.first(where: { $0.name == typeName }) else {
                    throw CatalogError.invalidArgument("unknown tape type \(typeName)")
                }
                type = named
            } else {
                type = table.type(forVolumeTag: volumeTag)
            }
            var poolID: Int64?
            if let poolName {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM pools WHERE name = ?", arguments: [poolName])
                else { throw CatalogError.notFound(resource: "pool_list", identifier: poolName) }
                poolID = id
            }
            let isCleaning = type?.isCleaning ?? false
            // A cartridge a sync found and recorded as unregistered is registered in place.
            if var found = try TapeCartridge.filter(Column("volume_tag") == volumeTag).fetchOne(db), !found.isRegistered {
                found.isRegistered = true
                found.poolId = poolID ?? found.poolId
                if typeName != nil, let type {
                    found.tapeTypeId = type.id; found.nativeCapacity = type.nativeCapacity; found.isWorm = type.isWorm
                }
                if !description.isEmpty { found.description = description }
                try found.update(db)
                return found
            }
            var cartridge = TapeCartridge(
                volumeTag: volumeTag, tapeTypeId: type?.id, poolId: poolID,
                status: isCleaning ? .cleaning : .scratch, description: description,
                nativeCapacity: type?.nativeCapacity ?? 0,
                cleaningUsesLeft: isCleaning ? Reconciler.cleaningUses : nil, isWorm: type?.isWorm ?? false)
            try cartridge.insert(db)
            return cartridge
        }
    }

    // MARK: Lifecycle and location

    /// Moves a cartridge through its lifecycle; an illegal step throws `.illegalTransition`
    /// naming both states.
    @discardableResult
    public func setCartridgeStatus(_ cartridgeID: Int64, to status: CartridgeStatus) async throws(CatalogError)
        -> TapeCartridge {
        try await write { db in
            guard var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            let isCleaning = try cartridge.tapeTypeId.flatMap {
                try Bool.fetchOne(db, sql: "SELECT is_cleaning FROM tape_types WHERE id = ?", arguments: [$0])
            } ?? (cartridge.status == .cleaning)
            try CartridgeLifecycle.check(from: cartridge.status, to: status, isWORM: cartridge.isWorm,
                                         isCleaning: isCleaning)
            cartridge.status = status
            if status == .scratch { cartridge.bytesWritten = 0 }
            try cartridge.update(db)
            return cartridge
        }
    }

    /// Records that a cartridge now sits in `slotID` (after a move the library service made).
    /// The slot's kind decides the location; UNIQUE(slot_id) rejects an occupied slot.
    @discardableResult
    public func placeCartridge(_ cartridgeID: Int64, inSlot slotID: Int64) async throws(CatalogError) -> TapeCartridge {
        try await write { db in
            guard let kind = try String.fetchOne(db, sql: "SELECT kind FROM library_slots WHERE id = ?",
                                                 arguments: [slotID]).flatMap(SlotKind.init(rawValue:)) else {
                throw CatalogError.notFound(resource: "library_slots", identifier: String(slotID))
            }
            guard var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            cartridge.slotId = slotID
            cartridge.location = kind.cartridgeLocation
            try cartridge.update(db)
            return cartridge
        }
    }

    /// Takes a cartridge out of every library: `.offline` or `.vault`.
    @discardableResult
    public func removeCartridgeFromLibrary(_ cartridgeID: Int64, to location: CartridgeLocation = .offline)
        async throws(CatalogError) -> TapeCartridge {
        guard !location.isInLibrary else {
            throw .invalidArgument("\(location.rawValue) is a location inside a library; use placeCartridge")
        }
        return try await write { db in
            guard var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            cartridge.slotId = nil
            cartridge.location = location
            try cartridge.update(db)
            return cartridge
        }
    }

    // MARK: Look-ups

    public func cartridge(volumeTag: String) async throws(CatalogError) -> TapeCartridge? {
        try await read { db in
            try TapeCartridge.filter(Column("volume_tag") == volumeTag).fetchOne(db)
        }
    }

    public func cartridge(id: Int64) async throws(CatalogError) -> TapeCartridge? {
        try await read { db in try TapeCartridge.fetchOne(db, key: id) }
    }

    public func slots(library libraryID: Int64) async throws(CatalogError) -> [LibrarySlot] {
        try await read { db in
            try LibrarySlot.filter(Column("library_id") == libraryID).order(Column("element_address")).fetchAll(db)
        }
    }

    public func drives(library libraryID: Int64) async throws(CatalogError) -> [LibraryTapeDrive] {
        try await read { db in
            try LibraryTapeDrive.filter(Column("library_id") == libraryID)
                .order(Column("sys_transfer_element")).fetchAll(db)
        }
    }

    public func tapeTypes() async throws(CatalogError) -> TapeTypeTable {
        try await read { db in try TapeTypeTable.load(db) }
    }

    /// The compatibility matrix rows of one drive generation.
    public func compatibility(driveGeneration: Int) async throws(CatalogError) -> [TapeCompatibility] {
        try await read { db in
            try TapeCompatibility.filter(Column("drive_generation") == driveGeneration)
                .order(Column("tape_type_id")).fetchAll(db)
        }
    }
}

/// A SCSI address `[host:channel:target:lun]` as the seed's PATCH bodies carry it.
public struct SCSIPath: Sendable, Equatable, CustomStringConvertible {
    public let host: UInt32, channel: UInt32, target: UInt32, lun: UInt64

    public init?(_ text: String) {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.utf8.count <= 64 else { return nil }
        let parts = text.dropFirst().dropLast().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let host = UInt32(parts[0]), let channel = UInt32(parts[1]), let target = UInt32(parts[2]),
              let lun = UInt64(parts[3]) else { return nil }
        self.host = host; self.channel = channel; self.target = target; self.lun = lun
    }

    public var description: String { "[\(host):\(channel):\(target):\(lun)]" }
}
