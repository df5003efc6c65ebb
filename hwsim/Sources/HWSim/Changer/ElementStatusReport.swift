import SCSI

/// READ ELEMENT STATUS (SMC-3 6.11): element status data, pages and descriptors.
extension LibraryCore {
    /// Elements in ascending address order as (type, index, address); built once per call
    /// from the fixed address ranges, cheap even for 10,000 slots.
    func elementsInAddressOrder() -> [(ElementType, Int)] {
        let ranges = ElementType.allCases.map { ($0, firstAddress($0)) }.sorted { $0.1 < $1.1 }
        var out: [(ElementType, Int)] = []
        out.reserveCapacity(transports.count + storage.count + importExport.count + drives.count)
        for (t, _) in ranges { for i in 0..<count(t) { out.append((t, i)) } }
        return out
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

        // Select: elements of the type at or after the starting address, up to the number asked.
        var selected: [(ElementType, Int)] = []
        var anyAtOrAfter = false
        for e in elementsInAddressOrder() {
            if let w = wanted, e.0 != w { continue }
            let address = firstAddress(e.0) + e.1
            guard address >= start else { continue }
            anyAtOrAfter = true
            guard selected.count < requested else { break }
            selected.append(e)
        }
        if !anyAtOrAfter { throw CommandFailure(.invalidElementAddress) }

        // Group consecutive elements of one type into pages.
        var pages: [(ElementType, ArraySlice<(ElementType, Int)>)] = []
        var runStart = 0
        for i in selected.indices where i == selected.count - 1 || selected[i + 1].0 != selected[i].0 {
            pages.append((selected[i].0, selected[runStart...i]))
            runStart = i + 1
        }

        let identifierLength = dvcid ? drives.map { identifier(of: $0).count }.max() ?? 0 : 0
        func descriptorLength(_ t: ElementType) -> Int {
            12 + (voltag ? 36 : 0) + 4 + (t == .dataTransfer ? identifierLength : 0)
        }
        let overlapping = profile.quirks.overlappingElementPages && typeCode == 0
        var total = 0
        for p in pages { total += 8 + descriptorLength(p.0) * p.1.count }
        if overlapping && !pages.isEmpty { total -= 8 * (pages.count - 1) }

        // Element status data header (SMC-3 table 55).
        var b = ResponseBuffer(capacity: 8 + total)
        b.u16(selected.first.map { firstAddress($0.0) + $0.1 } ?? 0)
        b.u16(selected.count)
        b.u8(0)
        b.u24(total)
        for p in pages {
            if overlapping && b.count > 8 {
                // tgt's offsets ignore page headers: the next page overwrites the last 8 bytes.
                b.bytes.removeLast(8)
            }
            let length = descriptorLength(p.0)
            // Element status page header (SMC-3 table 56): type, PVOLTAG bit 7, descriptor
            // length, byte count of descriptor data.
            b.u8(p.0.rawValue)
            b.u8(voltag ? 0x80 : 0x00)
            b.u16(length)
            b.u8(0)
            b.u24(length * p.1.count)
            for e in p.1 {
                appendDescriptor(&b, e, voltag: voltag, dvcid: dvcid, identifierLength: identifierLength)
            }
        }
        return b.bytes.truncated(to: allocation)
    }

    /// One element descriptor (SMC-3 tables 58 transport, 60 storage, 62 import/export,
    /// 64 data transfer): address, flags, ASC/ASCQ, SVALID + source, volume tag, identifier.
    private func appendDescriptor(_ b: inout ResponseBuffer, _ e: (ElementType, Int), voltag: Bool,
                                  dvcid: Bool, identifierLength: Int) {
        let address = firstAddress(e.0) + e.1
        let cartridge = self.cartridge(at: e)
        let full: UInt8 = cartridge != nil ? 0x01 : 0
        var flags: UInt8
        var exception: AdditionalSense?
        switch e.0 {
        case .transport:
            exception = transports[e.1].exception
            flags = full
        case .storage:
            exception = storage[e.1].exception
            flags = full | 0x08                                   // ACCESS
        case .importExport:
            exception = importExport[e.1].exception
            let imported = cartridge != nil && importExport[e.1].source == nil
            flags = full | (imported ? 0x02 : 0)                  // IMPEXP
                | (mailSlotOpen ? 0 : 0x08)                       // ACCESS while closed
                | 0x30                                            // INENAB, EXENAB
        case .dataTransfer:
            exception = drives[e.1].exception
            flags = full | 0x08
        }
        if exception != nil { flags |= 0x04 }                     // EXCEPT
        b.u16(address)
        b.u8(flags)
        b.u8(0)
        b.u8(exception?.asc ?? 0)
        b.u8(exception?.ascq ?? 0)
        b.zeros(3)
        let source = cartridge != nil ? self.source(at: e) : nil
        var mediumType: UInt8 = 0
        if let c = cartridge {
            switch c.kind {
            case .data: mediumType = 1
            case .cleaning: mediumType = 2
            case .worm: mediumType = 4
            }
        }
        b.u8((source != nil ? 0x80 : 0) | mediumType)              // SVALID, MEDIUM TYPE
        b.u16(Int(source ?? 0))
        if voltag {
            // Primary volume tag (SMC-3 table 67): 32 bytes identifier, 2 reserved, 2 sequence.
            if let c = cartridge {
                b.ascii(c.barcode, width: 32)
                b.zeros(4)
            } else {
                b.zeros(36)
            }
        }
        // Device identifier fields (code set, identifier type, length, identifier).
        if e.0 == .dataTransfer && dvcid {
            let id = identifier(of: drives[e.1])
            let style = drives[e.1].profile.identifierStyle
            b.u8(style == .none ? 0 : 0x02)
            b.u8(style == .t10VendorProductSerial ? 0x01 : 0x00)
            b.u8(0)
            b.u8(id.count)
            b.append(id)
            b.zeros(identifierLength - id.count)
        } else {
            b.zeros(4)
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
            return Array(id.serial.utf8)
        case .none:
            return []
        }
    }
}
