import Testing
@testable import Catalog

@Suite struct TapeTypeTests {
    @Test(arguments: [
        ("ABC123L1", "LTO-1"), ("ABC123L5", "LTO-5"), ("ABC123LV", "LTO-5 WORM"), ("ABC123M8", "LTO-7 M8"),
        ("ABC123L9", "LTO-9"), ("ABC123LZ", "LTO-9 WORM"), ("ABC123LA", "LTO-10"), ("ABC123PA", "LTO-10 (40 TB)"),
        ("CLN001L1", "LTO Cleaning"), ("CLN001CU", "LTO Cleaning"), ("abc123l8", "LTO-8"),
    ])
    func typeFromBarcode(_ tag: String, _ name: String) async throws {
        let table = try await CatalogDatabase.inMemory().tapeTypes()
        #expect(table.type(forVolumeTag: tag)?.name == name)
    }

    @Test(arguments: ["", "L9", "ABC123", "ABC123XX"])
    func unknownBarcodesHaveNoType(_ tag: String) async throws {
        let table = try await CatalogDatabase.inMemory().tapeTypes()
        #expect(table.type(forVolumeTag: tag) == nil)
    }

    /// scsi-reference.md "Compatibility".
    @Test func compatibilityMatrix() async throws {
        let catalog = try CatalogDatabase.inMemory()
        let table = try await catalog.tapeTypes()
        func names(_ generation: Int, write: Bool) async throws -> Set<String> {
            let rows = try await catalog.compatibility(driveGeneration: generation)
            return Set(rows.filter { write ? $0.canWrite : $0.canRead }.compactMap { row in
                table.types.first { $0.id == row.tapeTypeId }?.name })
        }
        #expect(try await names(6, write: true) == ["LTO-6", "LTO-6 WORM", "LTO-5", "LTO-5 WORM"])
        #expect(try await names(6, write: false) == ["LTO-6", "LTO-6 WORM", "LTO-5", "LTO-5 WORM", "LTO-4", "LTO-4 WORM"])
        #expect(try await names(8, write: true) == ["LTO-8", "LTO-8 WORM", "LTO-7", "LTO-7 WORM", "LTO-7 M8"])
        #expect(try await names(9, write: false) == ["LTO-9", "LTO-9 WORM", "LTO-8", "LTO-8 WORM"])
        #expect(try await names(10, write: true) == ["LTO-10", "LTO-10 (40 TB)"])
        #expect(try await names(7, write: false).contains("LTO-7 M8") == false)
    }

    @Test func densityCodesAndCapacities() async throws {
        let table = try await CatalogDatabase.inMemory().tapeTypes()
        let lto8 = try #require(table.types.first { $0.name == "LTO-8" })
        #expect(lto8.densityCode == 0x5E && lto8.nativeCapacity == 12_000_000_000_000 && lto8.nativeSpeedMbps == 360)
        #expect(table.types.first { $0.name == "LTO-4" }?.supportsPartitions == false)
        #expect(table.types.first { $0.name == "LTO-5" }?.supportsPartitions == true)
    }
}
