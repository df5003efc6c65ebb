import SCSI

/// READ ELEMENT STATUS (SMC-3 6.11): element status data, pages and descriptors.
/// The report is written into one preallocated buffer: a 10,000-slot library answers in
/// a few milliseconds.
extension LibraryCore {
    /// Element types in ascending order of their first address (pages follow address order).
    func typesInAddressOrder() -> [ElementType] {
        ElementType.allCases.filter { count($0) > 0 }.sorted { firstAddress($0) < firstAddress($1) }
    }

    func readElementStatus(_ cdb: CDB) throws(CommandFailure) -> [UInt8] {
        // CDB (SMC-3 table 53): byte 1 VOLTAG bit 4, ELEMENT TYPE CODE bits 3–0 (bits 7–5 may
        // carry mtx's LUN and are ignored); 2–3 starting element address; 4–5 number of
        // elements; byte 6 CURDATA bit 1, DVCID bit 0; 7–9 allocation length.
        let voltag = cdb.bit(1, 4)
        let typeCode = cdb[1] & 0x0F
        guard typeCode <= 4 else { throw CommandFailure(.invalidField(cdbByte: 1, bit: 0)) }
        let start = cdb.u16(2)
        let requested = cdb.u16(4)
        let dvcid = cdb.bit(6, 0)
        var allocation = cdb.u24(7)
        if profile.quirks.sixteenBitAllocationLength { allocation &= 0xFFFF }
        if profile.quirks.dvcidWithVoltagRefused && dvcid && voltag {
            throw CommandFailure(.invalidField(cdbByte: 6, bit: 0))
        }
        let wanted = typeCode == 0 ? nil : ElementType(rawValue: typeCode)

        // Select: a run of indices per type, for elements at or after the starting address,
        // up to the number asked, in address order.
        var pages: [(ElementType, Range<Int>)] = []
        var left = requested
        var anyAtOrAfter = false
        for t in typesInAddressOrder() where wanted == nil || wanted == t {
            let first = firstAddress(t)
            let lower = max(0, start - first)
            guard lower < count(t) else { continue }
            anyAtOrAfter = true
            let n = min(left, count(t) - lower)
            if n > 0 { pages.append((t, lower..<(lower + n))) }
            left -= n
        }
        if !anyAtOrAfter { throw CommandFailure(.invalidElementAddress) }

        let identifierLength = dvcid ? drives.map { identifier(of: $0).count }.max() ?? 0 : 0
        func descriptorLength(_ t: ElementType) -> Int {
            12 + (voltag ? 36 : 0) + 4 + (t == .dataTransfer ? identifierLength : 0)
        }
        // tgt's quirk: page offsets ignore the 8-byte page headers, so each page after the
        // first starts 8 bytes early and overwrites the end of the one before.
        let overlap = profile.quirks.overlappingElementPages && typeCode == 0 ? 8 : 0
        var total = 0
        for p in pages { total += 8 + descriptorLength(p.0) * p.1.count }
        if !pages.isEmpty { total -= overlap * (pages.count - 1) }
        let elementCount = pages.reduce(0) { $0 + $1.1.count }

        var out = [UInt8](repeating: 0, count: 8 + total)
        out.withUnsafeMutableBufferPointer { b in
            func put16(_ at: Int, _ v: Int) { b[at] = UInt8(truncatingIfNeeded: v >> 8); b[at + 1] = UInt8(truncatingIfNeeded: v) }
            // Element status data header (SMC-3 table 55).
            if let p = pages.first { put16(0, firstAddress(p.0) + p.1.lowerBound) }
            put16(2, elementCount)
            b[5] = UInt8(truncatingIfNeeded: total >> 16); put16(6, total)
            var at = 8
            for (pageIndex, p) in pages.enumerated() {
                if pageIndex > 0 { at -= overlap }
                let length = descriptorLength(p.0)
                let bytes = length * p.1.count
                // Element status page header (SMC-3 table 56).
                b[at] = p.0.rawValue
                b[at + 1] = voltag ? 0x80 : 0x00
                put16(at + 2, length)
                b[at + 5] = UInt8(truncatingIfNeeded: bytes >> 16); put16(at + 6, bytes)
                at += 8
                for i in p.1 {
                    writeDescriptor(b, at: at, type: p.0, index: i, voltag: voltag, dvcid: dvcid)
                    at += length
                }
            }
        }
        return out.truncated(to: allocation)
    }

    /// One element descriptor (SMC-3 tables 58 transport, 60 storage, 62 import/export,
    /// 64 data transfer) into a zeroed buffer: address, flags, ASC/ASCQ, SVALID + medium type
    /// + source, primary volume tag (table 67), device identifier.
    private func writeDescriptor(_ b: UnsafeMutableBufferPointer<UInt8>, at: Int, type: ElementType, index: Int,
                                 voltag: Bool, dvcid: Bool) {
        let address = firstAddress(type) + index
        let slot: ElementSlot
        switch type {
        case .transport: slot = transports[index]
        case .storage: slot = storage[index]
        case .importExport: slot = importExport[index]
        case .dataTransfer:
            let d = drives[index]
            slot = ElementSlot(cartridge: d.cartridge, source: d.source, exception: d.exception)
        }
        let cartridge = slot.cartridge
        var flags: UInt8 = cartridge != nil ? 0x01 : 0                  // FULL
        switch type {
        case .transport: break
        case .storage, .dataTransfer: flags |= 0x08                     // ACCESS
        case .importExport:
            if cartridge != nil && slot.source == nil { flags |= 0x02 } // IMPEXP: placed by the operator
            if !mailSlotOpen { flags |= 0x08 }                          // ACCESS while closed
            flags |= 0x30                                               // INENAB, EXENAB
        }
        if slot.exception != nil { flags |= 0x04 }                      // EXCEPT
        b[at] = UInt8(address >> 8)
        b[at + 1] = UInt8(address & 0xFF)
        b[at + 2] = flags
        b[at + 4] = slot.exception?.asc ?? 0
        b[at + 5] = slot.exception?.ascq ?? 0
        if let c = cartridge {
            var byte9: UInt8
            switch c.kind {                                             // MEDIUM TYPE
            case .data: byte9 = 1
            case .cleaning: byte9 = 2
            case .worm: byte9 = 4
            }
            if let source = slot.source {
                byte9 |= 0x80                                           // SVALID
                b[at + 10] = UInt8(source >> 8)
                b[at + 11] = UInt8(source & 0xFF)
            }
            b[at + 9] = byte9
            if voltag {
                for (k, v) in c.volumeTag.enumerated() { b[at + 12 + k] = v }
            }
        }
        if type == .dataTransfer && dvcid {
            let o = at + 12 + (voltag ? 36 : 0)
            let id = identifier(of: drives[index])
            let style = drives[index].profile.identifierStyle
            b[o] = style == .none ? 0 : 0x02                            // CODE SET: ASCII
            b[o + 1] = style == .t10VendorProductSerial ? 0x01 : 0x00   // IDENTIFIER TYPE
            b[o + 3] = UInt8(id.count)
            for (k, v) in id.enumerated() { b[o + 4 + k] = v }
        }
    }

    /// The drive's device identifier as its element descriptor reports it.
    func identifier(of drive: DriveUnit) -> [UInt8] {
        let id = drive.profile.identity
        switch drive.profile.identifierStyle {
        case .t10VendorProductSerial:
            return ResponseBuffer.ascii(id.vendor, width: 8) + ResponseBuffer.ascii(id.product, width: 16)
                + ResponseBuffer.ascii(id.serial, width: 10)
        case .serialOnly:
            return Array(id.serial.utf8.prefix(64))
        case .none:
            return []
        }
    }
}
