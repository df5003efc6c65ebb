import Foundation
import GRDB

/// Inventory rows: created, moved through their lifecycle, looked up. Written once for both
/// stores (`CatalogStore`, `CatalogSQL`).
extension CatalogStore {
    // MARK: Creation

    public func insert(_ server: MediaServer) async throws(CatalogError) -> MediaServer {
        try await writeSQL { sql in try sql.insertRecord(server) }
    }

    public func insert(_ pool: Pool) async throws(CatalogError) -> Pool {
        try await writeSQL { sql in try sql.insertRecord(pool) }
    }

    public func insert(_ changer: MediumChanger) async throws(CatalogError) -> MediumChanger {
        guard SCSIPath(changer.scsiPath) != nil else {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(changer.scsiPath)")
        }
        return try await writeSQL { sql in try sql.insertRecord(changer) }
    }

    public func insert(_ library: TapeLibrary) async throws(CatalogError) -> TapeLibrary {
        try await writeSQL { sql in try sql.insertRecord(library) }
    }

    public func insert(_ drive: LibraryTapeDrive) async throws(CatalogError) -> LibraryTapeDrive {
        guard SCSIPath(drive.scsiPath) != nil else {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(drive.scsiPath)")
        }
        return try await writeSQL { sql in try sql.insertRecord(drive) }
    }

    public func insert(_ slot: LibrarySlot) async throws(CatalogError) -> LibrarySlot {
        try await writeSQL { sql in
            let row = try sql.insertRecord(slot)
            var counts = SlotCountDelta()
            counts.add(kind: slot.kind, full: slot.full, address: slot.elementAddress)
            try counts.apply(sql, library: slot.libraryId)
            return row
        }
    }

    /// Registers a cartridge (POST tape_cartridges). Type, capacity, WORM and cleaning status come
    /// from the named type, else from the barcode suffix.
    public func registerCartridge(volumeTag: String, typeName: String? = nil, poolName: String? = nil,
                                  description: String = "") async throws(CatalogError) -> TapeCartridge {
        try await writeSQL { sql in
            let table = try TapeTypeTable.load(sql)
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
                guard let id = try sql.value(Int64.self, "SELECT id FROM pools WHERE name = ?", [poolName.databaseValue])
                else { throw CatalogError.notFound(resource: "pool_list", identifier: poolName) }
                poolID = id
            }
            let isCleaning = type?.isCleaning ?? false
            // A cartridge a sync found and recorded as unregistered is registered in place.
            if var found = try sql.fetchOne(TapeCartridge.self, "SELECT * FROM tape_cartridges WHERE volume_tag = ?",
                                            [volumeTag.databaseValue]), !found.isRegistered {
                found.isRegistered = true
                found.poolId = poolID ?? found.poolId
                if typeName != nil, let type {
                    found.tapeTypeId = type.id; found.nativeCapacity = type.nativeCapacity; found.isWorm = type.isWorm
                }
                if !description.isEmpty { found.description = description }
                try sql.updateRecord(found)
                return found
            }
            return try sql.insertRecord(TapeCartridge(
                volumeTag: volumeTag, tapeTypeId: type?.id, poolId: poolID,
                status: isCleaning ? .cleaning : .scratch, description: description,
                nativeCapacity: type?.nativeCapacity ?? 0,
                cleaningUsesLeft: isCleaning ? Reconciler.cleaningUses : nil, isWorm: type?.isWorm ?? false))
        }
    }

    // MARK: Lifecycle and location

    /// Moves a cartridge through its lifecycle; an illegal step throws `.illegalTransition`
    /// naming both states.
    @discardableResult
    public func setCartridgeStatus(_ cartridgeID: Int64, to status: CartridgeStatus) async throws(CatalogError)
        -> TapeCartridge {
        try await writeSQL { sql in
            guard var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            let isCleaning = try cartridge.tapeTypeId.flatMap {
                try sql.value(Bool.self, "SELECT is_cleaning FROM tape_types WHERE id = ?", [$0.databaseValue])
            } ?? (cartridge.status == .cleaning)
            try CartridgeLifecycle.check(from: cartridge.status, to: status, isWORM: cartridge.isWorm,
                                         isCleaning: isCleaning)
            cartridge.status = status
            if status == .scratch { cartridge.bytesWritten = 0 }
            try sql.updateRecord(cartridge)
            return cartridge
        }
    }

    /// Records that a cartridge now sits in `slotID` (after a move the library service made).
    /// The slot's kind decides the location; UNIQUE(slot_id) rejects an occupied slot.
    @discardableResult
    public func placeCartridge(_ cartridgeID: Int64, inSlot slotID: Int64) async throws(CatalogError) -> TapeCartridge {
        try await writeSQL { sql in
            guard let kind = try sql.value(String.self, "SELECT kind FROM library_slots WHERE id = ?", [slotID.databaseValue])
                .flatMap(SlotKind.init(rawValue:)) else {
                throw CatalogError.notFound(resource: "library_slots", identifier: String(slotID))
            }
            guard var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            cartridge.slotId = slotID
            cartridge.location = kind.cartridgeLocation
            try sql.updateRecord(cartridge)
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
        return try await writeSQL { sql in
            guard var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            cartridge.slotId = nil
            cartridge.location = location
            try sql.updateRecord(cartridge)
            return cartridge
        }
    }

    // MARK: Look-ups

    public func cartridge(volumeTag: String) async throws(CatalogError) -> TapeCartridge? {
        try await readSQL { sql in
            try sql.fetchOne(TapeCartridge.self, "SELECT * FROM tape_cartridges WHERE volume_tag = ?", [volumeTag.databaseValue])
        }
    }

    public func cartridge(id: Int64) async throws(CatalogError) -> TapeCartridge? {
        try await readSQL { sql in try sql.record(TapeCartridge.self, id: id) }
    }

    public func slots(library libraryID: Int64) async throws(CatalogError) -> [LibrarySlot] {
        try await readSQL { sql in
            try sql.fetchAll(LibrarySlot.self, "SELECT * FROM library_slots WHERE library_id = ? ORDER BY element_address",
                             [libraryID.databaseValue])
        }
    }

    /// Drives without a transfer element first (NULLS FIRST, SQLite's default order).
    public func drives(library libraryID: Int64) async throws(CatalogError) -> [LibraryTapeDrive] {
        try await readSQL { sql in
            try sql.fetchAll(LibraryTapeDrive.self, """
                SELECT * FROM library_tape_drives WHERE library_id = ? ORDER BY sys_transfer_element NULLS FIRST, id
                """, [libraryID.databaseValue])
        }
    }

    public func tapeTypes() async throws(CatalogError) -> TapeTypeTable {
        try await readSQL { sql in try TapeTypeTable.load(sql) }
    }

    /// The compatibility matrix rows of one drive generation.
    public func compatibility(driveGeneration: Int) async throws(CatalogError) -> [TapeCompatibility] {
        try await readSQL { sql in
            try sql.fetchAll(TapeCompatibility.self, """
                SELECT * FROM tape_type_compatibility WHERE drive_generation = ? ORDER BY tape_type_id
                """, [driveGeneration.databaseValue])
        }
    }

    // MARK: Devices

    /// Registers a library in one transaction: its changer, the library row pointing at it, and
    /// its drives (POST tape_libraries). Nothing is written when any row is refused.
    public func registerLibrary(_ library: TapeLibrary, changer: MediumChanger, drives: [LibraryTapeDrive])
        async throws(CatalogError) -> (library: TapeLibrary, changer: MediumChanger, drives: [LibraryTapeDrive]) {
        for path in [changer.scsiPath] + drives.map(\.scsiPath) where SCSIPath(path) == nil {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(path)")
        }
        return try await writeSQL { sql in
            let changer = try sql.insertRecord(changer)
            var library = library
            library.mediumChangerId = changer.id
            library = try sql.insertRecord(library)
            var inserted: [LibraryTapeDrive] = []
            for var drive in drives {
                drive.libraryId = library.id
                inserted.append(try sql.insertRecord(drive))
            }
            return (library, changer, inserted)
        }
    }

    /// The media server with `hostname`, if registered.
    public func mediaServer(hostname: String) async throws(CatalogError) -> MediaServer? {
        try await readSQL { sql in
            try sql.fetchOne(MediaServer.self, "SELECT * FROM media_servers WHERE hostname = ?", [hostname.databaseValue])
        }
    }

    /// The media server with hardware id `hwid` (the machine id), if registered.
    public func mediaServer(hwid: String) async throws(CatalogError) -> MediaServer? {
        try await readSQL { sql in
            try sql.fetchOne(MediaServer.self, "SELECT * FROM media_servers WHERE hwid = ?", [hwid.databaseValue])
        }
    }

    /// Libraries of one media server, by id.
    public func libraries(mediaServer serverID: Int64) async throws(CatalogError) -> [TapeLibrary] {
        try await readSQL { sql in
            try sql.fetchAll(TapeLibrary.self, "SELECT * FROM tape_libraries WHERE media_server_id = ? ORDER BY id",
                             [serverID.databaseValue])
        }
    }

    public func library(id: Int64) async throws(CatalogError) -> TapeLibrary? {
        try await readSQL { sql in try sql.record(TapeLibrary.self, id: id) }
    }

    public func changer(id: Int64) async throws(CatalogError) -> MediumChanger? {
        try await readSQL { sql in try sql.record(MediumChanger.self, id: id) }
    }

    public func drive(id: Int64) async throws(CatalogError) -> LibraryTapeDrive? {
        try await readSQL { sql in try sql.record(LibraryTapeDrive.self, id: id) }
    }

    public func slot(id: Int64) async throws(CatalogError) -> LibrarySlot? {
        try await readSQL { sql in try sql.record(LibrarySlot.self, id: id) }
    }

    /// The element of a library at `address`, as the last sync saw it.
    public func slot(library libraryID: Int64, address: Int) async throws(CatalogError) -> LibrarySlot? {
        try await readSQL { sql in
            try sql.fetchOne(LibrarySlot.self, "SELECT * FROM library_slots WHERE library_id = ? AND element_address = ?",
                             [libraryID.databaseValue, address.databaseValue])
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
