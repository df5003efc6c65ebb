// TEST DOUBLE. An LTFSTapeDevice over a SimulatedCartridge, with tape semantics that matter to
// LTFS: writing truncates what follows and moves end of data; a read at end of data reports it;
// the volume change reference (MAM 0009h) changes at the first write after a load, as drives do.
// Not a drive model — HWSim is; this lets LTFS be tested before TapeDrive lands.
import SCSI
@testable import LTFS

struct SimulatedDriveError: Error, CustomStringConvertible {
    var description: String
}

actor SimulatedLTFSDrive: LTFSTapeDevice {
    private(set) var cartridge: SimulatedCartridge
    private var partition = 0
    private var block = 0
    private var pendingPartitions: Int?
    private var compression = true
    private var writtenSinceLoad = false
    /// Every operation that changes the medium or its attributes, in order.
    private(set) var mutations: [String] = []

    init(_ cartridge: SimulatedCartridge) {
        self.cartridge = cartridge
    }

    func load() async throws {
        writtenSinceLoad = false
        partition = 0
        block = 0
    }

    func cartridgeInfo() async throws -> LTFSCartridgeInfo {
        LTFSCartridgeInfo(generation: cartridge.generation, barcode: cartridge.barcode,
                          isWORM: cartridge.isWORM, isWriteProtected: cartridge.isWriteProtected)
    }

    func partitionCapacities() async throws -> [PartitionCapacity] {
        cartridge.partitions.indices.map {
            PartitionCapacity(partition: UInt8($0), remaining: 1000, maximum: $0 == 0 && cartridge.partitions.count > 1 ? 1000 : 2000)
        }
    }

    func setCapacityToFull() async throws {}

    func locate(partition p: UInt8, block b: UInt64) async throws {
        let p = Int(p)
        guard p < cartridge.partitions.count else { throw SimulatedDriveError(description: "no partition \(p)") }
        guard b <= UInt64(cartridge.partitions[p].count) else {
            throw SimulatedDriveError(description: "BLANK CHECK: block \(b) is beyond end of data")
        }
        partition = p
        block = Int(b)
    }

    func locateToEndOfData(partition p: UInt8) async throws -> UInt64 {
        try await locate(partition: p, block: 0)
        guard cartridge.hasEndOfData[Int(p)] else {
            throw SimulatedDriveError(description: "MEDIUM ERROR: end of data not found")
        }
        block = cartridge.partitions[Int(p)].count
        return UInt64(block)
    }

    func readRecord(maxLength: Int) async throws -> TapeRead {
        let blocks = cartridge.partitions[partition]
        guard block < blocks.count else {
            if cartridge.hasEndOfData[partition] { return .endOfData }
            throw SimulatedDriveError(description: "MEDIUM ERROR 03h/11h/00h: no end of data")
        }
        defer { block += 1 }
        switch blocks[block] {
        case .filemark: return .filemark
        case .record(let bytes): return .record(Array(bytes.prefix(maxLength)))
        }
    }

    private func beginWrite(_ what: String) throws {
        guard !cartridge.isWriteProtected else { throw SimulatedDriveError(description: "DATA PROTECT 07h/27h/00h") }
        if !writtenSinceLoad {
            writtenSinceLoad = true
            let vcr = cartridge.volumeChangeReference + 1
            cartridge.attributes[0, default: [:]][MAMAttributeID.volumeChangeReference] =
                MAMAttribute(id: MAMAttributeID.volumeChangeReference, format: .binary,
                             value: BigEndian.bytes(vcr, count: 4)).encoded()
        }
        mutations.append(what)
    }

    private func append(_ b: SimulatedCartridge.Block) {
        cartridge.partitions[partition].removeSubrange(block...)
        cartridge.partitions[partition].append(b)
        cartridge.hasEndOfData[partition] = true
        block += 1
    }

    func writeRecord(_ bytes: [UInt8]) async throws {
        try beginWrite("write \(bytes.count) bytes at \(partition)/\(block)")
        append(.record(bytes))
    }

    func writeFilemarks(_ count: Int) async throws {
        try beginWrite("write \(count) filemark(s) at \(partition)/\(block)")
        for _ in 0..<count { append(.filemark) }
    }

    func modeSensePage(_ pageCode: UInt8) async throws -> [UInt8] {
        switch pageCode {
        case 0x11:
            // SSC-4 table 137; LTO-5 and later allow one additional partition, earlier none.
            let defined = UInt8(cartridge.partitions.count - 1)
            return [0x91, 0x0A, cartridge.generation >= 5 ? 1 : 0, defined, 0x18, 0x03, 0x09, 0,
                    0, 1, defined > 0 ? 0x05 : 0, defined > 0 ? 0x8E : 0]
        case 0x0F:
            // SSC-4 table 129.
            return [0x0F, 0x0E, compression ? 0xC0 : 0x40, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
        default:
            throw SimulatedDriveError(description: "ILLEGAL REQUEST 05h/24h/00h: page \(pageCode)")
        }
    }

    func modeSelectPage(_ page: [UInt8]) async throws {
        guard page.count >= 2, page[0] & 0x80 == 0, page.count == Int(page[1]) + 2 else {
            throw SimulatedDriveError(description: "ILLEGAL REQUEST 05h/26h/00h: bad page")
        }
        switch page[0] {
        case 0x11:
            guard page.count >= 12, page[3] <= (cartridge.generation >= 5 ? 1 : 0) else {
                throw SimulatedDriveError(description: "ILLEGAL REQUEST 05h/26h/00h: too many partitions")
            }
            pendingPartitions = Int(page[3]) + 1
        case 0x0F:
            compression = page[2] & 0x80 != 0
        default:
            throw SimulatedDriveError(description: "ILLEGAL REQUEST 05h/26h/00h")
        }
        mutations.append("mode select \(page[0])")
    }

    func formatMedium(_ format: UInt8) async throws {
        guard !cartridge.isWORM else { throw SimulatedDriveError(description: "DATA PROTECT: WORM") }
        try beginWrite("format medium \(format)")
        let count = format == 1 ? (pendingPartitions ?? 1) : 1
        cartridge.partitions = Array(repeating: [], count: count)
        cartridge.hasEndOfData = Array(repeating: true, count: count)
        for p in cartridge.attributes.keys where p != 0 { cartridge.attributes[p] = nil }
        partition = 0
        block = 0
    }

    var compressionEnabled: Bool { compression }

    func readAttribute(_ id: UInt16, partition p: UInt8) async throws -> MAMAttribute? {
        guard let raw = cartridge.attributes[p]?[id] else { return nil }
        return try MAMAttribute.decode(raw)
    }

    func writeAttribute(_ attribute: MAMAttribute, partition p: UInt8) async throws {
        guard !cartridge.isWriteProtected else { throw SimulatedDriveError(description: "DATA PROTECT 07h/27h/00h") }
        mutations.append(String(format: "write attribute %04x of partition %d", attribute.id, p))
        cartridge.attributes[p, default: [:]][attribute.id] = attribute.encoded()
    }

    func endOfDataStatus(partition p: UInt8) async throws -> EndOfDataStatus {
        guard Int(p) < cartridge.hasEndOfData.count else { throw SimulatedDriveError(description: "no partition \(p)") }
        return cartridge.hasEndOfData[Int(p)] ? .present : .missing
    }
}
