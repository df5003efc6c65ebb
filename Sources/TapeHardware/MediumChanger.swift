import SCSI

/// A medium changer (SMC-3): inventory, moves, import/export.
///
/// An actor: a library has one robot, so multi-command sequences on one changer
/// (inventory pages, a move and its re-read) never interleave.
public actor MediumChanger {
    public let runner: CommandRunner
    private var cachedAssignment: ElementAssignment?

    /// Elements per READ ELEMENT STATUS request (the CDB's count field is 16 bits).
    public var maxElementsPerRequest: Int = 0xFFFF

    /// After a HARDWARE ERROR 04h/03h on MOVE MEDIUM (back-to-back moves on some libraries,
    /// mhVTL issue 115) the move is retried once after this pause.
    public var moveRetryPause: Duration = .seconds(2)

    public init(transport: any SCSITransport, retryInterval: Duration = .milliseconds(500),
                becomingReadyTimeout: Duration = .seconds(300)) {
        self.runner = CommandRunner(transport: transport, becomingReadyTimeout: becomingReadyTimeout,
                                    retryInterval: retryInterval)
    }

    public func setMoveRetryPause(_ pause: Duration) { moveRetryPause = pause }

    // MARK: Identity

    public func inquiry() async throws(SCSIError) -> StandardInquiry {
        try await runner.inquiry()
    }

    /// Unit serial number (VPD 80h), nil when the device has none.
    public func serialNumber() async throws(SCSIError) -> String? {
        try await runner.serialNumber()
    }

    public func testUnitReady() async throws(SCSIError) {
        _ = try await runner.run(.testUnitReady())
    }

    // MARK: Element addresses

    /// First address and count of each element type (mode page 1Dh, SMC-3 table 29).
    public func elementAssignment() async throws(SCSIError) -> ElementAssignment {
        if let cachedAssignment { return cachedAssignment }
        let assignment = try await readElementAssignment()
        cachedAssignment = assignment
        return assignment
    }

    private func readElementAssignment() async throws(SCSIError) -> ElementAssignment {
        // mtx reads page 1Dh with MODE SENSE(6), DBD set, allocation length 0x88 (scsi-reference.md).
        try await runner.run(.modeSense6(page: 0x1D, dbd: true, allocationLength: 0x88)) {
            (d) throws(SCSIParseError) in try ElementAssignment(modeSense6: d)
        }
    }

    // MARK: Inventory

    /// Reads the status of every element, one request series per element type (which also
    /// sidesteps tgt's overlapping all-types pages), paged, with volume tags and the drives'
    /// identifiers (DVCID).
    public func inventory(volumeTags: Bool = true, driveIdentifiers: Bool = true)
        async throws(SCSIError) -> LibraryInventory
    {
        let assignment = try await elementAssignment()
        var reports: [ElementStatusReport] = []
        for range in assignment.ranges where range.count > 0 {
            let wantIdentifiers = driveIdentifiers && range.type == .dataTransfer
            reports += try await readElements(range, volumeTags: volumeTags, identifiers: wantIdentifiers)
        }
        return LibraryInventory(merging: reports)
    }

    private func readElements(_ range: ElementAssignment.Range, volumeTags: Bool, identifiers: Bool)
        async throws(SCSIError) -> [ElementStatusReport]
    {
        // Worst case per descriptor: 12 fixed + 2×36 tags + 4 + 34 identifier bytes (the
        // identifier only when asked for: the buffer is zeroed, so 10,000 slots are not
        // given room for identifiers they never carry).
        let descriptorBound = 12 + 72 + 4 + (identifiers ? 34 : 0) + 2
        var reports: [ElementStatusReport] = []
        var next = Int(range.firstAddress)
        let end = Int(range.firstAddress) + range.count
        while next < end {
            let count = min(maxElementsPerRequest, end - next)
            let report = try await readElementPage(
                type: range.type, start: UInt16(next), count: count,
                allocationLength: Self.allocationLength(forBytes: 16 + count * descriptorBound),
                volumeTags: volumeTags, identifiers: identifiers)
            let first = next
            func wanted(_ type: ElementType, _ address: UInt16) -> Bool {
                type == range.type && Int(address) >= first && Int(address) < end
            }
            // Usually every descriptor is one asked for: keep the parsed array as it is.
            // (Elements are visited by index and field: passing or looping over whole
            // elements would copy each one.)
            let parsed = report.elements
            let page = parsed.indices.allSatisfy { wanted(parsed[$0].type, parsed[$0].address) }
                ? parsed : parsed.filter { wanted($0.type, $0.address) }
            var highest: UInt16?
            for i in page.indices where highest.map({ page[i].address > $0 }) ?? true { highest = page[i].address }
            guard let last = highest else { break }
            reports.append(ElementStatusReport(elements: page))
            next = Int(last) + 1
        }
        return reports
    }

    /// An allocation length that covers `bytes` and whose low 16 bits are FFFFh: a changer
    /// that honours the whole 24-bit field returns everything in one response (as mtx asks),
    /// and one that reads only the low two bytes (scsi-reference.md, field quirks) returns
    /// 0xFFFF bytes, a truncated report from which the inventory continues at the next
    /// address — never an empty answer.
    static func allocationLength(forBytes bytes: Int) -> UInt32 {
        // The smallest k with k·10000h + FFFFh ≥ bytes is ⌊bytes / 10000h⌋.
        let blocks = max(0, bytes) / 0x10000
        return UInt32(min(0xFF, blocks)) << 16 | 0xFFFF
    }

    func readElementPage(type: ElementType, start: UInt16, count: Int, allocationLength: UInt32,
                                 volumeTags: Bool, identifiers: Bool)
        async throws(SCSIError) -> ElementStatusReport
    {
        let command = SCSICommand.readElementStatus(
            elementType: type, startingAddress: start, count: UInt16(count),
            volumeTag: volumeTags, dvcid: identifiers, allocationLength: allocationLength)
        do {
            return try await runner.run(command) { (d) throws(SCSIParseError) in
                try ElementStatusReport(parsing: d)
            }
        } catch where identifiers && (error.matches(.illegalRequest) || error.isParseError) {
            // IBM TS3500 refuses DVCID together with VOLTAG: read the tags, then the
            // identifiers alone; a changer that refuses those too (Qualstar) has none.
            // tgt cuts the last descriptor short (its byte count is 8 bytes over what it
            // sends), which leaves the last drive's 34-byte identifier unparsable: the same
            // fallback gives the tags, and the identifiers where they parse.
            var report = try await readElementPage(type: type, start: start, count: count,
                                                   allocationLength: allocationLength,
                                                   volumeTags: volumeTags, identifiers: false)
            guard volumeTags else { return report }
            let idCommand = SCSICommand.readElementStatus(
                elementType: type, startingAddress: start, count: UInt16(count),
                volumeTag: false, dvcid: true, allocationLength: allocationLength)
            if let ids = try? await runner.run(idCommand, parse: { (d) throws(SCSIParseError) in
                try ElementStatusReport(parsing: d)
            }) {
                for i in report.elements.indices {
                    report.elements[i].identifier = ids.element(at: report.elements[i].address)?.identifier
                }
            }
            return report
        }
    }

    // MARK: Moves

    /// MOVE MEDIUM from one element address to another with the first transport element.
    public func move(from source: UInt16, to destination: UInt16,
                     eepos: ElementExtendPosition = .noChange) async throws(SCSIError) {
        let assignment = try await elementAssignment()
        let picker = assignment.range(of: .mediumTransport)?.firstAddress ?? 0
        let command = SCSICommand.moveMedium(transport: picker, source: source,
                                             destination: destination, eepos: eepos)
        do {
            _ = try await runner.run(command)
        } catch where error.matches(.hardwareError) && error.sense?.additionalSense.asc == 0x04 {
            // Back-to-back MOVE MEDIUM can fail with HARDWARE ERROR 04h/03h (mhVTL issue 115).
            try? await Task.sleep(for: moveRetryPause)
            _ = try await runner.run(command)
        }
    }

    /// Loads the cartridge in storage/import-export slot `slot` (mtx numbering) into drive `drive`.
    public func load(slot: Int, drive: Int) async throws(ChangerError) -> InventoryElement {
        let inventory = try await wrap { () async throws(SCSIError) in try await self.inventory() }
        guard let source = inventory.slot(number: slot) else { throw .noSuchSlot(slot) }
        guard let target = inventory.drive(number: drive) else { throw .noSuchDrive(drive) }
        guard source.full else { throw .slotEmpty(slot) }
        guard !target.full else { throw .driveFull(drive, target.volumeTag) }
        try await wrap { () async throws(SCSIError) in try await self.move(from: source.address, to: target.address) }
        return source
    }

    /// Unloads drive `drive` into `slot`, or the slot it came from, or the first empty storage slot.
    public func unload(drive: Int, to slot: Int? = nil) async throws(ChangerError) -> InventoryElement {
        let inventory = try await wrap { () async throws(SCSIError) in try await self.inventory() }
        guard let source = inventory.drive(number: drive) else { throw .noSuchDrive(drive) }
        guard source.full else { throw .driveEmpty(drive) }
        let target: InventoryElement
        if let slot {
            guard let t = inventory.slot(number: slot) else { throw .noSuchSlot(slot) }
            guard !t.full else { throw .slotFull(slot, t.volumeTag) }
            target = t
        } else if let home = source.sourceAddress.flatMap(inventory.element(address:)),
                  home.kind != .drive, !home.full {
            target = home
        } else if let free = inventory.storage.first(where: { !$0.full && $0.accessible }) {
            target = free
        } else {
            throw .noFreeSlot
        }
        try await wrap { () async throws(SCSIError) in try await self.move(from: source.address, to: target.address) }
        return target
    }

    /// Moves a cartridge between two slots (mtx `transfer`).
    public func transfer(from slot: Int, to destination: Int) async throws(ChangerError) {
        let inventory = try await wrap { () async throws(SCSIError) in try await self.inventory() }
        guard let s = inventory.slot(number: slot) else { throw .noSuchSlot(slot) }
        guard let d = inventory.slot(number: destination) else { throw .noSuchSlot(destination) }
        guard s.full else { throw .slotEmpty(slot) }
        guard !d.full else { throw .slotFull(destination, d.volumeTag) }
        try await wrap { () async throws(SCSIError) in try await self.move(from: s.address, to: d.address) }
    }

    /// OPEN/CLOSE IMPORT EXPORT ELEMENT (SMC-3 6.5).
    public func setImportExport(open: Bool, address: UInt16) async throws(SCSIError) {
        _ = try await runner.run(open ? .openImportExportElement(address: address)
                                      : .closeImportExportElement(address: address))
    }

    public func initializeElementStatus() async throws(SCSIError) {
        _ = try await runner.run(.initializeElementStatus())
        cachedAssignment = nil
    }

    private func wrap<T>(_ body: () async throws(SCSIError) -> T) async throws(ChangerError) -> T {
        do { return try await body() } catch { throw .scsi(error) }
    }
}

extension SCSIError {
    var isParseError: Bool {
        if case .parse = self { return true }
        return false
    }
}

/// Why a changer operation was refused or failed.
public enum ChangerError: Error, Sendable, Hashable, CustomStringConvertible {
    case noSuchSlot(Int)
    case noSuchDrive(Int)
    case slotEmpty(Int)
    case slotFull(Int, String?)
    case driveEmpty(Int)
    case driveFull(Int, String?)
    case noFreeSlot
    case scsi(SCSIError)

    public var description: String {
        switch self {
        case .noSuchSlot(let n): return "no slot \(n) in this library"
        case .noSuchDrive(let n): return "no drive \(n) in this library"
        case .slotEmpty(let n): return "slot \(n) is empty"
        case .slotFull(let n, let tag): return "slot \(n) is full" + (tag.map { " (\($0))" } ?? "")
        case .driveEmpty(let n): return "drive \(n) is empty"
        case .driveFull(let n, let tag): return "drive \(n) is loaded" + (tag.map { " (\($0))" } ?? "")
        case .noFreeSlot: return "no empty storage slot to unload into"
        case .scsi(let e): return e.description
        }
    }

    public var sense: SenseData? {
        if case .scsi(let e) = self { return e.sense }
        return nil
    }
}

extension LibraryInventory {
    /// Numbers elements as operators expect (mtx): storage 1…n then import/export n+1…,
    /// drives and transports from 0, each in element-address order.
    public init(merging report: ElementStatusReport) {
        self.init(segments: [report.elements])
    }

    /// The inventory of a paged series of responses: the same as
    /// `init(merging: ElementStatusReport.merged(reports))`, but responses that are already in
    /// merge order without repeats (one request series per type, the usual case) are read in
    /// place rather than first copied into one report (10,000 elements).
    public init(merging reports: [ElementStatusReport]) {
        if ElementStatusReport.areInMergeOrder(reports) {
            self.init(segments: reports.map(\.elements))
        } else {
            self.init(merging: ElementStatusReport.merged(reports))
        }
    }

    private init(segments: [[ElementStatus]]) {
        func convert(_ e: borrowing ElementStatus, _ kind: InventoryElement.Kind, _ number: Int) -> InventoryElement {
            InventoryElement(
                kind: kind, address: e.address, number: number, full: e.full,
                volumeTag: e.primaryVolumeTag?.identifier.nilIfEmpty,
                alternateVolumeTag: e.alternateVolumeTag?.identifier.nilIfEmpty,
                sourceAddress: e.sourceAddress, accessible: e.accessible, exception: e.exception,
                asc: e.additionalSense.asc, ascq: e.additionalSense.ascq,
                driveSerial: e.identifier?.serial, driveVendor: e.identifier?.vendor,
                driveProduct: e.identifier?.product,
                importEnabled: kind == .importExport ? e.importEnabled : nil,
                exportEnabled: kind == .importExport ? e.exportEnabled : nil)
        }
        // One pass collects each type's positions (segment, index), so that no element is
        // copied before its conversion; each type is then taken in address order.
        struct Position { var segment: Int; var index: Int }
        var positions: [[Position]] = [[], [], [], []]
        func slot(_ type: ElementType) -> Int? {
            switch type {
            case .mediumTransport: return 0
            case .storage: return 1
            case .importExport: return 2
            case .dataTransfer: return 3
            case .all: return nil
            }
        }
        for s in segments.indices {
            let elements = segments[s]
            for i in elements.indices {
                if let p = slot(elements[i].type) { positions[p].append(Position(segment: s, index: i)) }
            }
        }
        func address(_ p: Position) -> UInt16 { segments[p.segment][p.index].address }
        func inAddressOrder(_ type: ElementType) -> [Position] {
            let list = slot(type).map { positions[$0] } ?? []
            for k in list.indices.dropFirst() where address(list[k - 1]) > address(list[k]) {
                return list.sorted { address($0) < address($1) }
            }
            return list
        }
        func converted(_ type: ElementType, _ kind: InventoryElement.Kind, firstNumber: Int) -> [InventoryElement] {
            let order = inAddressOrder(type)
            var result: [InventoryElement] = []
            result.reserveCapacity(order.count)
            for n in order.indices {
                let p = order[n]
                let elements = segments[p.segment]
                result.append(convert(elements[p.index], kind, firstNumber + n))
            }
            return result
        }
        let storage = converted(.storage, .storage, firstNumber: 1)
        self.init(
            transports: converted(.mediumTransport, .transport, firstNumber: 0),
            drives: converted(.dataTransfer, .drive, firstNumber: 0),
            storage: storage,
            importExport: converted(.importExport, .importExport, firstNumber: storage.count + 1))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
