import Foundation
import SCSI

/// All state of one simulated library. Every access happens under `lock` (held by
/// `SimulatedLibrary`); command handlers are synchronous and never block.
final class LibraryCore: @unchecked Sendable {
    let lock = NSLock()
    var profile: LibraryProfile
    let clock: VirtualClock

    var transports: [ElementSlot]
    var storage: [ElementSlot]
    var importExport: [ElementSlot]
    var drives: [DriveUnit]

    // Changer device state.
    var changerUnitAttentions: [SenseData] = []
    var changerPreventRemoval = false
    var mailSlotOpen = false
    var lastChangerCommandWasMove = false
    var changerReadyAt: Duration = .zero

    var faults = FaultBook()
    /// False in a library that keeps only each written record's length (`SimulatedLibrary.
    /// keepOnlyRecordLengths()`, for throughput benchmarks).
    var keepsRecordData = true
    /// Set by commands that changed persistent state; the library saves when it is set.
    var stateChanged = false

    init(profile: LibraryProfile, speed: Double) throws {
        try profile.validate()
        self.profile = profile
        self.clock = VirtualClock(speed: speed)
        transports = [ElementSlot()]
        storage = Array(repeating: ElementSlot(), count: profile.storageSlots)
        importExport = Array(repeating: ElementSlot(), count: profile.importExportSlots)
        drives = profile.drives.enumerated().map { DriveUnit(index: $0.offset, profile: $0.element) }
        for spec in profile.cartridges {
            let cartridge = try Self.makeCartridge(spec, scale: profile.capacityScale)
            place(cartridge, at: spec.location)
        }
        if profile.powerOnUnitAttention {
            changerUnitAttentions = [.powerOn]
            for d in drives { d.unitAttentions = [.powerOn] }
        }
        changerReadyAt = .seconds(profile.quirks.becomingReadySeconds)
    }

    static func makeCartridge(_ spec: CartridgeProfile, scale: Double) throws -> Cartridge {
        let capacity = max(1 << 20, Int64(Double(spec.generation.nativeCapacity) * scale))
        let c = Cartridge(barcode: spec.barcode, kind: spec.kind, generation: spec.generation,
                          capacity: capacity, writeProtected: spec.writeProtected,
                          cleaningUsesLeft: spec.cleaningUsesLeft ?? 50)
        if let image = spec.image {
            try FileBackendImage.load(into: c, from: URL(fileURLWithPath: image))
        }
        return c
    }

    func place(_ c: Cartridge, at location: ElementLocation) {
        switch location {
        case .slot(let n): storage[n - 1].cartridge = c
        case .mailSlot(let n): importExport[n - 1].cartridge = c
        case .drive(let n):
            drives[n].cartridge = c
            _ = threadCartridge(drives[n])
        }
    }

    // MARK: Element addressing

    func firstAddress(_ t: ElementType) -> Int {
        switch t {
        case .transport: return Int(profile.addresses.transport)
        case .storage: return Int(profile.addresses.storage)
        case .importExport: return Int(profile.addresses.importExport)
        case .dataTransfer: return Int(profile.addresses.dataTransfer)
        }
    }

    func count(_ t: ElementType) -> Int {
        switch t {
        case .transport: return transports.count
        case .storage: return storage.count
        case .importExport: return importExport.count
        case .dataTransfer: return drives.count
        }
    }

    /// The element type and index at an element address, if any.
    func locate(address: Int) -> (ElementType, Int)? {
        for t in ElementType.allCases {
            let i = address - firstAddress(t)
            if i >= 0 && i < count(t) { return (t, i) }
        }
        return nil
    }

    func cartridge(at e: (ElementType, Int)) -> Cartridge? {
        switch e.0 {
        case .transport: return transports[e.1].cartridge
        case .storage: return storage[e.1].cartridge
        case .importExport: return importExport[e.1].cartridge
        case .dataTransfer: return drives[e.1].cartridge
        }
    }

    func setContent(at e: (ElementType, Int), _ c: Cartridge?, source: UInt16?) {
        switch e.0 {
        case .transport: transports[e.1].cartridge = c; transports[e.1].source = source
        case .storage: storage[e.1].cartridge = c; storage[e.1].source = source
        case .importExport: importExport[e.1].cartridge = c; importExport[e.1].source = source
        case .dataTransfer: drives[e.1].cartridge = c; drives[e.1].source = source
        }
    }

    func source(at e: (ElementType, Int)) -> UInt16? {
        switch e.0 {
        case .transport: return transports[e.1].source
        case .storage: return storage[e.1].source
        case .importExport: return importExport[e.1].source
        case .dataTransfer: return drives[e.1].source
        }
    }

    /// Every cartridge in the library with where it is.
    func allCartridges() -> [(Cartridge, ElementType, Int)] {
        var out: [(Cartridge, ElementType, Int)] = []
        for (i, e) in transports.enumerated() { if let c = e.cartridge { out.append((c, .transport, i)) } }
        for (i, e) in storage.enumerated() { if let c = e.cartridge { out.append((c, .storage, i)) } }
        for (i, e) in importExport.enumerated() { if let c = e.cartridge { out.append((c, .importExport, i)) } }
        for d in drives { if let c = d.cartridge { out.append((c, .dataTransfer, d.index)) } }
        return out
    }

    // MARK: Dispatch

    /// Runs one command on device `device` (0 = changer, 1… = drives). Returns the result and
    /// the real time the caller should wait before returning it.
    func execute(device: Int, command: SCSICommand) throws(TransportError) -> (SCSIResult, Duration) {
        // Bytes lent in place are valid only during this call: whatever the simulator keeps of
        // them is copied now. A WRITE(6) to a library that keeps only record lengths needs
        // nothing of them but their count.
        var command = command
        if case .toDeviceInPlace(let bytes) = command.transfer, keepsRecordData || command.cdb.first != 0x0A {
            command.transfer = .toDevice(bytes.copied())
        }
        guard device >= 0 && device <= drives.count else {
            throw TransportError(.invalidDevice, "hwsim: no device \(device)")
        }
        if faults.goneDevices.contains(device) {
            throw TransportError(.deviceGone, "hwsim: device \(device) has gone", errno: 19)
        }
        var delay: Duration = .zero
        let cdb = CDB(command.cdb)
        let reply: CommandReply
        if command.cdb.isEmpty || command.cdb.count < CDB.expectedLength(cdb.opcode) {
            reply = .check(.invalidOpcode)
        } else if let injected = faults.takeInjectedSense(device: device, opcode: cdb.opcode) {
            reply = .check(injected)
        } else if device == 0 {
            reply = changerCommand(cdb, command.transfer, delay: &delay)
        } else {
            reply = driveCommand(drives[device - 1], cdb, command.transfer, delay: &delay)
        }
        return (Self.result(reply, transfer: command.transfer, cdb: cdb), clock.elapse(delay))
    }

    static func result(_ reply: CommandReply, transfer: DataTransfer, cdb: CDB) -> SCSIResult {
        var data = reply.data
        var residual = 0
        switch transfer {
        case .fromDevice(let n):
            if data.count > n { data = Array(data.prefix(n)) }
            residual = n - data.count
        case .toDevice, .toDeviceInPlace, .none:
            data = []
        }
        return SCSIResult(status: reply.status, data: data, sense: reply.sense?.bytes ?? [], residual: residual)
    }

    /// Unit attention precedence (SPC-4 5.14): INQUIRY, REPORT LUNS and REQUEST SENSE do not
    /// consume a pending unit attention (REQUEST SENSE reports it as its data).
    static func isUnitAttentionExempt(_ op: UInt8) -> Bool { op == 0x12 || op == 0xA0 || op == 0x03 }
}

extension Array where Element == UInt8 {
    /// Truncates a response to an allocation length (SPC-4 4.2.5.6).
    func truncated(to n: Int) -> [UInt8] { count > n ? Array(prefix(Swift.max(0, n))) : self }
}
