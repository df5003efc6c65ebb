import Foundation

/// The state directory of a simulated library (`--sim-state DIR`):
/// - `library.json`: the profile, where every cartridge is, cartridge metadata and drive state;
/// - `cartridges/<barcode>/`: each cartridge that holds anything, in the LTFS file-backend layout.
/// Blank cartridges have no directory.
enum LibraryStateStore {
    struct SavedCartridge: Codable, Sendable {
        var barcode: String
        var kind: CartridgeKind
        var generation: LTOGeneration
        var writeProtected: Bool
        var cleaningUsesLeft: Int
        var loadCount: Int
        var capacity: Int64
        var fullCapacity: Int64
        var partitionCapacities: [Int64]
        var volumeChangeReference: UInt32
        var lifetimeBytesWritten: Int64
        var lifetimeBytesRead: Int64
    }

    struct SavedElement: Codable, Sendable {
        var type: UInt8
        var index: Int
        var barcode: String
        var source: UInt16?
    }

    struct SavedDrive: Codable, Sendable {
        var threaded: Bool
        var partition: Int
        var position: Int
        var blockLength: Int
        var compression: Bool
        var needsCleaning: Bool
        var tapeAlerts: [UInt8]
    }

    struct SavedLibrary: Codable, Sendable {
        var format = 1
        var profile: LibraryProfile
        var elements: [SavedElement]
        var cartridges: [SavedCartridge]
        var drives: [SavedDrive]
        var mailSlotOpen: Bool
    }

    static func cartridgeDirectory(_ root: URL, _ barcode: String) -> URL {
        let safe = barcode.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }
            && !barcode.isEmpty
        let name = safe ? barcode : barcode.utf8.map { String(format: "%02x", $0) }.joined()
        return root.appendingPathComponent("cartridges").appendingPathComponent(name)
    }

    static func isPristine(_ c: Cartridge) -> Bool {
        c.partitions.count == 1 && c.partitions[0].objects.isEmpty && c.partitions[0].hasEndOfData && c.attributes.isEmpty
    }

    /// What a save writes, captured under the library's lock.
    struct Snapshot: Sendable {
        var library: SavedLibrary
        /// Cartridges whose directory must be (re)written.
        var changed: [(String, FileBackendImage.Contents)]
        /// Blank cartridges whose directory must not exist.
        var blank: [String]
        /// Cartridges whose directory must exist (written if missing).
        var present: [(String, FileBackendImage.Contents)]
    }

    /// Captures the state (cheap: record arrays are shared) and marks cartridges saved.
    static func snapshot(_ core: LibraryCore) -> Snapshot {
        var elements: [SavedElement] = []
        var cartridges: [SavedCartridge] = []
        var changed: [(String, FileBackendImage.Contents)] = []
        var blank: [String] = []
        var present: [(String, FileBackendImage.Contents)] = []
        for (c, type, index) in core.allCartridges() {
            elements.append(SavedElement(type: type.rawValue, index: index, barcode: c.barcode, source: core.source(at: (type, index))))
            cartridges.append(SavedCartridge(
                barcode: c.barcode, kind: c.kind, generation: c.generation, writeProtected: c.writeProtected,
                cleaningUsesLeft: c.cleaningUsesLeft, loadCount: c.loadCount, capacity: c.capacity,
                fullCapacity: c.fullCapacity, partitionCapacities: c.partitions.map { $0.capacity },
                volumeChangeReference: c.volumeChangeReference, lifetimeBytesWritten: c.lifetimeBytesWritten,
                lifetimeBytesRead: c.lifetimeBytesRead))
            if isPristine(c) {
                blank.append(c.barcode)
            } else if c.dirty {
                changed.append((c.barcode, FileBackendImage.Contents(c)))
            } else {
                present.append((c.barcode, FileBackendImage.Contents(c)))
            }
            c.dirty = false
        }
        var profile = core.profile
        profile.cartridges = []
        let drives = core.drives.map {
            SavedDrive(threaded: $0.threaded, partition: $0.partition, position: $0.position, blockLength: $0.blockLength,
                       compression: $0.compression, needsCleaning: $0.needsCleaning, tapeAlerts: $0.tapeAlerts.sorted())
        }
        let library = SavedLibrary(profile: profile, elements: elements, cartridges: cartridges, drives: drives,
                                   mailSlotOpen: core.mailSlotOpen)
        return Snapshot(library: library, changed: changed, blank: blank, present: present)
    }

    /// Writes a snapshot: library.json atomically, changed cartridge directories.
    static func write(_ snapshot: Snapshot, to root: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        for barcode in snapshot.blank {
            let dir = cartridgeDirectory(root, barcode)
            if fm.fileExists(atPath: dir.path) { try fm.removeItem(at: dir) }
        }
        for (barcode, contents) in snapshot.changed {
            try FileBackendImage.save(contents, to: cartridgeDirectory(root, barcode))
        }
        for (barcode, contents) in snapshot.present where !fm.fileExists(atPath: cartridgeDirectory(root, barcode).path) {
            try FileBackendImage.save(contents, to: cartridgeDirectory(root, barcode))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(snapshot.library).write(to: root.appendingPathComponent("library.json"), options: .atomic)
    }

    static func save(_ core: LibraryCore, to root: URL) throws {
        try write(snapshot(core), to: root)
    }

    /// The library saved in `root`, or nil when there is none.
    static func restore(from root: URL, speed: Double) throws -> LibraryCore? {
        let file = root.appendingPathComponent("library.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let saved = try JSONDecoder().decode(SavedLibrary.self, from: Data(contentsOf: file))
        let core = try LibraryCore(profile: saved.profile, speed: speed)
        var byBarcode: [String: SavedCartridge] = [:]
        for c in saved.cartridges { byBarcode[c.barcode] = c }
        for e in saved.elements {
            guard let meta = byBarcode[e.barcode], let type = ElementType(rawValue: e.type),
                  e.index >= 0, e.index < core.count(type) else { continue }
            let c = Cartridge(barcode: meta.barcode, kind: meta.kind, generation: meta.generation,
                              capacity: meta.capacity, writeProtected: meta.writeProtected,
                              cleaningUsesLeft: meta.cleaningUsesLeft)
            let dir = cartridgeDirectory(root, meta.barcode)
            if FileManager.default.fileExists(atPath: dir.path) {
                try FileBackendImage.load(into: c, from: dir)
            }
            c.capacity = meta.capacity
            c.fullCapacity = meta.fullCapacity
            if meta.partitionCapacities.count == c.partitions.count {
                for i in c.partitions.indices { c.partitions[i].capacity = meta.partitionCapacities[i] }
            } else if c.partitions.count == 1 {
                c.partitions[0].capacity = meta.capacity
            }
            c.loadCount = meta.loadCount
            c.volumeChangeReference = meta.volumeChangeReference
            c.lifetimeBytesWritten = meta.lifetimeBytesWritten
            c.lifetimeBytesRead = meta.lifetimeBytesRead
            c.dirty = false
            core.setContent(at: (type, e.index), c, source: e.source)
        }
        for (i, d) in saved.drives.enumerated() where i < core.drives.count {
            let drive = core.drives[i]
            drive.threaded = d.threaded && drive.cartridge != nil
            if let c = drive.cartridge, drive.threaded {
                drive.partition = min(d.partition, c.partitions.count - 1)
                drive.position = min(d.position, c.partitions[drive.partition].objects.count)
            }
            drive.blockLength = d.blockLength
            drive.compression = d.compression
            drive.needsCleaning = d.needsCleaning
            drive.tapeAlerts = Set(d.tapeAlerts)
        }
        core.mailSlotOpen = saved.mailSlotOpen
        return core
    }
}
