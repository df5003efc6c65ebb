/// What `mtx status` printed, parsed from its text (mtx.c, Status()):
/// `  Storage Changer DEV:D Drives, S Slots ( I Import/Export )`,
/// `Data Transfer Element N:Full (Storage Element M Loaded):VolumeTag = TAG`,
/// `      Storage Element N[ IMPORT/EXPORT]:Full :VolumeTag=TAG` or `…:Empty`.
struct MtxStatus: Equatable {
    var driveCount = 0
    var slotCount = 0
    var importExportCount = 0
    /// Drive number → barcode (nil when empty), source slot when mtx printed one.
    var drives: [Int: String?] = [:]
    var driveSources: [Int: Int] = [:]
    /// mtx slot number (storage 1…S−I, then import/export) → barcode or nil.
    var slots: [Int: String?] = [:]
    var importExportSlots: Set<Int> = []

    init(_ text: String) throws {
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Storage Changer") {
                let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                // The device path may contain digits: the last three numbers are the counts.
                guard numbers.count >= 3 else { throw HarnessError("bad mtx header: \(line)") }
                driveCount = numbers[numbers.count - 3]
                slotCount = numbers[numbers.count - 2]
                importExportCount = numbers[numbers.count - 1]
            } else if line.hasPrefix("Data Transfer Element ") {
                let rest = line.dropFirst("Data Transfer Element ".count)
                guard let colon = rest.firstIndex(of: ":"), let number = Int(rest[..<colon]) else {
                    throw HarnessError("bad mtx drive line: \(line)")
                }
                drives[number] = Self.tag(in: line)
                if let range = line.range(of: "(Storage Element ") {
                    let digits = line[range.upperBound...].prefix { $0.isNumber }
                    if let source = Int(digits) { driveSources[number] = source }
                }
            } else if line.hasPrefix("Storage Element ") {
                let rest = line.dropFirst("Storage Element ".count)
                let digits = rest.prefix { $0.isNumber }
                guard let number = Int(digits) else { throw HarnessError("bad mtx slot line: \(line)") }
                slots[number] = Self.tag(in: line)
                if line.contains("IMPORT/EXPORT") { importExportSlots.insert(number) }
            }
        }
    }

    private static func tag(in line: String) -> String? {
        guard line.contains(":Full") else { return nil }
        guard let range = line.range(of: "VolumeTag") else { return "" }
        let value = line[range.upperBound...].drop { $0 == " " || $0 == "=" }
        return value.trimmingCharacters(in: .whitespaces)
    }
}

/// Turns mtx numbering into the simulator's inventory keys: storage slots 1…n are `slotN`,
/// the import/export slots that follow are `mail1…`, drives `driveN`.
extension MtxStatus {
    func inventoryKeys() -> [String: String] {
        var keys: [String: String] = [:]
        let storageCount = slotCount - importExportCount
        for (slot, barcode) in slots {
            guard let barcode else { continue }
            keys[slot > storageCount ? "mail\(slot - storageCount)" : "slot\(slot)"] = barcode
        }
        for (drive, barcode) in drives {
            if let barcode { keys["drive\(drive)"] = barcode }
        }
        return keys
    }
}
