import Foundation
import SCSI

/// What a test or the CLI can see and do outside SCSI: contents, operator actions, the clock.
extension SimulatedLibrary {
    /// Where a cartridge is, by barcode.
    public func location(of barcode: String) -> ElementLocation? {
        withCore { core in
            for (c, type, index) in core.allCartridges() where c.barcode == barcode {
                switch type {
                case .storage: return .slot(index + 1)
                case .importExport: return .mailSlot(index + 1)
                case .dataTransfer: return .drive(index)
                case .transport: return nil
                }
            }
            return nil
        }
    }

    /// The cartridge object for a barcode (its contents can be inspected; mutate only through
    /// `withCartridge`).
    public func withCartridge<T>(_ barcode: String, _ body: (Cartridge) throws -> T) rethrows -> T? {
        try withCore { core in
            guard let c = core.allCartridges().first(where: { $0.0.barcode == barcode })?.0 else { return nil }
            return try body(c)
        }
    }

    /// Every cartridge and where it is, in element address order of the locations.
    public func inventory() -> [(location: ElementLocation, barcode: String)] {
        withCore { core in
            var out: [(location: ElementLocation, barcode: String)] = []
            for (c, type, index) in core.allCartridges() {
                switch type {
                case .storage: out.append((.slot(index + 1), c.barcode))
                case .importExport: out.append((.mailSlot(index + 1), c.barcode))
                case .dataTransfer: out.append((.drive(index), c.barcode))
                case .transport: break
                }
            }
            return out
        }
    }

    /// Barcode at a location, if full.
    public func barcode(at location: ElementLocation) -> String? {
        withCore { core in
            switch location {
            case .slot(let n): return core.storage.indices.contains(n - 1) ? core.storage[n - 1].cartridge?.barcode : nil
            case .mailSlot(let n): return core.importExport.indices.contains(n - 1) ? core.importExport[n - 1].cartridge?.barcode : nil
            case .drive(let n): return core.drives.indices.contains(n) ? core.drives[n].cartridge?.barcode : nil
            }
        }
    }

    /// Element address of a location (mtx numbering: slots 1…, mail slots 1…, drives 0…).
    public func elementAddress(_ location: ElementLocation) -> UInt16 {
        withCore { core in
            switch location {
            case .slot(let n): return UInt16(clamping: core.firstAddress(.storage) + n - 1)
            case .mailSlot(let n): return UInt16(clamping: core.firstAddress(.importExport) + n - 1)
            case .drive(let n): return UInt16(clamping: core.firstAddress(.dataTransfer) + n)
            }
        }
    }

    public var mailSlotIsOpen: Bool { withCore { $0.mailSlotOpen } }

    /// An operator puts a cartridge into a mail slot (IMPEXP set; the changer reports
    /// UNIT ATTENTION 6/28/01, import or export element accessed).
    public func operatorInsert(_ cartridge: CartridgeProfile, mailSlot: Int) throws {
        try withCore { core in
            guard core.importExport.indices.contains(mailSlot - 1) else { throw ProfileError("no mail slot \(mailSlot)") }
            guard core.importExport[mailSlot - 1].cartridge == nil else { throw ProfileError("mail slot \(mailSlot) is full") }
            guard !core.allCartridges().contains(where: { $0.0.barcode == cartridge.barcode }) else {
                throw ProfileError("barcode \(cartridge.barcode) is already in the library")
            }
            let c = try LibraryCore.makeCartridge(cartridge, scale: core.profile.capacityScale)
            core.importExport[mailSlot - 1].cartridge = c
            core.importExport[mailSlot - 1].source = nil
            core.changerUnitAttentions.append(SenseData(.unitAttention, AdditionalSense(0x28, 0x01)))
        }
        try save()
    }

    /// An operator takes the cartridge out of a mail slot; returns its barcode.
    @discardableResult
    public func operatorRemove(mailSlot: Int) throws -> String {
        let barcode = try withCore { core in
            guard core.importExport.indices.contains(mailSlot - 1), let c = core.importExport[mailSlot - 1].cartridge else {
                throw ProfileError("mail slot \(mailSlot) is empty")
            }
            if core.changerPreventRemoval { throw ProfileError("medium removal is prevented") }
            core.importExport[mailSlot - 1].cartridge = nil
            core.importExport[mailSlot - 1].source = nil
            core.changerUnitAttentions.append(SenseData(.unitAttention, AdditionalSense(0x28, 0x01)))
            return c.barcode
        }
        try save()
        return barcode
    }

    /// Virtual time since the library was built.
    public var virtualTime: Duration { withCore { $0.clock.now } }

    /// Moves virtual time on (ends IMMED operations, NOT READY windows, cleaning cycles).
    public func advanceClock(by d: Duration) { withCore { $0.clock.advance(by: d) } }

    /// 0 = instant, 1 = real time, 0.1 = ten times faster than real.
    public var speed: Double {
        get { withCore { $0.clock.speed } }
        set { withCore { $0.clock.setSpeed(newValue.isFinite ? newValue : 0) } }
    }

    /// Replaces the quirk set (see `QuirkSet`).
    public func setQuirks(_ quirks: QuirkSet) {
        var quirks = quirks
        if !quirks.becomingReadySeconds.isFinite { quirks.becomingReadySeconds = 0 }
        quirks.becomingReadySeconds = min(86_400, max(0, quirks.becomingReadySeconds))
        withCore { core in
            core.profile.quirks = quirks
            core.changerReadyAt = core.clock.now + .seconds(quirks.becomingReadySeconds)
        }
    }

    /// Simulates a power cycle: UNIT ATTENTION 6/29/00 on every device, drives rewound, and
    /// the becoming-ready window of the quirk set restarted.
    public func powerCycle() {
        withCore { core in
            core.changerUnitAttentions = [.powerOn]
            core.lastChangerCommandWasMove = false
            core.changerReadyAt = core.clock.now + .seconds(core.profile.quirks.becomingReadySeconds)
            for d in core.drives {
                d.unitAttentions = [.powerOn]
                d.partition = 0; d.position = 0; d.busy = nil; d.preventRemoval = false
            }
            core.changerPreventRemoval = false
        }
    }
}
