import SCSI

/// A minimal reading of READ ELEMENT STATUS data (SMC-3 §6.11: header table 26, element
/// status page table 27, descriptors table 28 and following) for the conformance tests, which
/// compare what tapelib's transports return with the tools' and the simulator's view.
struct ElementStatusEntry: Equatable, Sendable {
    var type: UInt8
    var address: UInt16
    var full: Bool
    var barcode: String?
    var sourceAddress: UInt16?
}

enum ElementStatusReader {
    /// READ ELEMENT STATUS CDB (SMC-3 table 25): VOLTAG, element type, start, count, allocation.
    static func cdb(type: UInt8, start: UInt16 = 0, count: UInt16 = 0xFFFF, allocation: Int = 0xFFFF,
                    volumeTags: Bool = true) -> [UInt8] {
        [0xB8, (volumeTags ? 0x10 : 0) | (type & 0x0F), UInt8(start >> 8), UInt8(start & 0xFF),
         UInt8(count >> 8), UInt8(count & 0xFF), 0,
         UInt8((allocation >> 16) & 0xFF), UInt8((allocation >> 8) & 0xFF), UInt8(allocation & 0xFF), 0, 0]
    }

    static func parse(_ data: [UInt8]) throws(SCSIParseError) -> [ElementStatusEntry] {
        var reader = ByteReader(data, context: "READ ELEMENT STATUS")
        _ = try reader.u16()                       // first element address reported
        _ = try reader.u16()                       // number of elements
        try reader.skip(1)
        let byteCount = Int(try reader.u24())
        var body = try reader.sub(reader.remaining, context: "element status pages")
        _ = byteCount
        var entries: [ElementStatusEntry] = []
        while body.remaining >= 8 {
            let type = try body.u8()
            let flags = try body.u8()
            let descriptorLength = Int(try body.u16())
            try body.skip(1)
            let pageBytes = Int(try body.u24())
            var page = try body.sub(min(pageBytes, body.remaining), context: "element status page")
            guard descriptorLength >= 12 else { break }
            // A short last descriptor is still read when its fixed part and tag are there:
            // tgt's byte counts leave out the page headers and cut the report short by 8 bytes,
            // which leaves the volume tag's barcode but not its sequence number.
            let minimum = flags & 0x80 != 0 ? 44 : 12
            while page.remaining >= min(descriptorLength, minimum) {
                var descriptor = try page.sub(min(descriptorLength, page.remaining), context: "element descriptor")
                let address = try descriptor.u16()
                let state = try descriptor.u8()
                try descriptor.skip(6)
                let svalid = try descriptor.u8() & 0x80 != 0
                let source = try descriptor.u16()
                var barcode: String?
                if flags & 0x80 != 0, descriptor.remaining >= 32 {
                    let tag = ByteReader.trimmedASCII(try descriptor.bytes(32))
                    barcode = tag.isEmpty ? nil : tag
                }
                entries.append(ElementStatusEntry(type: type & 0x0F, address: address, full: state & 0x01 != 0,
                                                  barcode: barcode, sourceAddress: svalid ? source : nil))
            }
        }
        return entries
    }
}
