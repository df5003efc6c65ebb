import Foundation

extension LibraryProfile {
    /// Names of the profiles shipped with hwsim.
    public static let builtInNames = ["autoloader", "midsize", "large"]

    /// A shipped profile: `autoloader` and `midsize` from JSON resources, `large` generated.
    public static func named(_ name: String) throws -> LibraryProfile {
        switch name {
        case "large":
            return large()
        case "autoloader", "midsize":
            guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Profiles")
                ?? Bundle.module.url(forResource: name, withExtension: "json") else {
                throw ProfileError("profile resource \(name).json is missing from the bundle")
            }
            return try load(from: url)
        default:
            throw ProfileError("unknown profile \(name) (known: \(builtInNames.joined(separator: ", ")))")
        }
    }

    /// A profile from a JSON file.
    public static func load(from url: URL) throws -> LibraryProfile {
        let profile = try JSONDecoder().decode(LibraryProfile.self, from: Data(contentsOf: url))
        try profile.validate()
        return profile
    }

    /// The `large` profile: 24 drives (16 LTO-9, 8 LTO-8), 10,000 slots, 40 mail slots, 9,500
    /// data cartridges and 20 cleaning cartridges — generated, not stored.
    public static func large(slots: Int = 10_000, mailSlots: Int = 40, drives driveCount: Int = 24,
                             dataCartridges: Int = 9_500, cleaningCartridges: Int = 20) -> LibraryProfile {
        let drives = (0..<driveCount).map { i -> DriveProfile in
            let gen: LTOGeneration = i < driveCount * 2 / 3 ? .lto9 : .lto8
            return DriveProfile(
                identity: DeviceIdentity(vendor: "IBM", product: gen == .lto9 ? "ULT3580-TD9" : "ULT3580-TD8",
                                         revision: "Q3A0", serial: String(format: "10L%07d", 1_000 + i)),
                generation: gen)
        }
        var cartridges: [CartridgeProfile] = []
        cartridges.reserveCapacity(dataCartridges + cleaningCartridges)
        for i in 0..<min(dataCartridges, slots) {
            let gen: LTOGeneration = i % 3 == 2 ? .lto8 : .lto9
            cartridges.append(CartridgeProfile(barcode: String(format: "L%05d", i + 1) + gen.barcodeSuffix,
                                               generation: gen, location: .slot(i + 1)))
        }
        for i in 0..<min(cleaningCartridges, max(0, slots - dataCartridges)) {
            cartridges.append(CartridgeProfile(barcode: String(format: "CLN%03dL1", i + 1), kind: .cleaning,
                                               generation: .lto1, location: .slot(slots - i)))
        }
        return LibraryProfile(
            name: "large",
            changer: DeviceIdentity(vendor: "IBM", product: "03584L32", revision: "F030", serial: "0000078A01230401"),
            addresses: ElementAddressMap(transport: 1, storage: 0x1000, importExport: 0x10, dataTransfer: 0x100),
            storageSlots: slots, importExportSlots: mailSlots, drives: drives, cartridges: cartridges)
    }
}
