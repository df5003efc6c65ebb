import SCSI

/// The two figures hwsim promises, for `make bench` (Benchmarks/TapelibBench can call these).
public enum HWSimBenchmarks {
    /// Bytes per second of WRITE(6) in `recordSize` records to an in-memory LTO-8 drive.
    public static func writeThroughput(totalBytes: Int = 1 << 30, recordSize: Int = 512 << 10) async throws -> Double {
        var profile = try LibraryProfile.named("autoloader")
        profile.powerOnUnitAttention = false
        let library = try SimulatedLibrary(profile: profile)
        // MOVE MEDIUM slot 1 → drive (SMC-3 table 34), then clear the medium-change attention.
        let slot = library.elementAddress(.slot(1)), drive = library.elementAddress(.drive(0))
        _ = try await library.changerTransport.execute(SCSICommand(cdb: [0xA5, 0, 0, 0, UInt8(slot >> 8), UInt8(slot & 0xFF),
                                                                         UInt8(drive >> 8), UInt8(drive & 0xFF), 0, 0, 0, 0]))
        let t = library.driveTransport(0)
        _ = try await t.execute(SCSICommand(cdb: [0x00, 0, 0, 0, 0, 0]))
        let record = [UInt8](repeating: 0x5A, count: recordSize)
        let cdb: [UInt8] = [0x0A, 0, UInt8(truncatingIfNeeded: recordSize >> 16), UInt8((recordSize >> 8) & 0xFF), UInt8(recordSize & 0xFF), 0]
        let count = totalBytes / recordSize
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<count {
            let r = try await t.execute(SCSICommand(cdb: cdb, transfer: .toDevice(record)))
            guard r.status == .good else { throw TransportError(.io, "hwsim bench: WRITE failed") }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(count * recordSize) / max(seconds, 1e-9)
    }

    /// Time of one full READ ELEMENT STATUS (all types, VOLTAG) of the `large` profile.
    public static func largeElementStatus() async throws -> Duration {
        var profile = LibraryProfile.large()
        profile.powerOnUnitAttention = false
        let library = try SimulatedLibrary(profile: profile)
        let cdb: [UInt8] = [0xB8, 0x10, 0, 0, 0xFF, 0xFF, 0x02, 0xFF, 0xFF, 0xFF, 0, 0]
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await library.changerTransport.execute(SCSICommand(cdb: cdb, transfer: .fromDevice(allocationLength: 0xFF_FFFF)))
        return clock.now - start
    }
}
