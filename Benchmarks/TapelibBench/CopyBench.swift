import Crypto
import Foundation
import HWSim
import LibraryService
import SCSI
import TapeHardware

/// Issue 12's figures: a record copied from a file to an in-memory simulated LTO-9 drive through
/// the copy path (NativeRecordIO: file → SHA-256 → tape, verify-after-write off), beside a
/// baseline loop over the same bytes in the same run (read, SHA-256, transport write, one after
/// another in one thread); four drives at once; and a verify pass. The write figures use drives
/// that keep only record lengths (`keepOnlyRecordLengths`); the verify pass, and a last
/// four-drive line for comparison, drives that keep every byte. CPU seconds from getrusage.
func runCopyBenchmarks() async {
    do {
        let environment = ProcessInfo.processInfo.environment
        let total = Int(environment["TAPELIB_BENCH_COPY_BYTES"] ?? "") ?? (4 << 30)
        try await CopyBench(totalBytes: total).run()
    } catch {
        print("copy benchmarks failed: \(error)")
    }
}

struct CopyBench {
    let totalBytes: Int
    let blockSize = 512 * 1024

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-copy-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let big = directory.appendingPathComponent("record.bin").path
        try Self.makeFile(big, bytes: totalBytes, seed: 1)
        let quarters = try (0..<4).map { index -> String in
            let path = directory.appendingPathComponent("quarter-\(index).bin").path
            try Self.makeFile(path, bytes: totalBytes / 4, seed: UInt64(index + 2))
            return path
        }
        let gib = Double(totalBytes) / Double(1 << 30)

        // The drives keep only each record's length, as a real drive leaves the host's memory
        // free once SG_IO returns: a simulator that keeps every byte makes every block fresh
        // memory the kernel faults in, and measures that instead of the copy path (the last
        // line shows it).
        // Baseline: read, hash, write, one after another in one thread.
        let (baselineDrive, _) = try await Self.loadedDrives(1, keepingData: false)
        let baseline = try await measure { try await baselineLoop(path: big, transport: baselineDrive[0]) }
        let baselineRate = Double(totalBytes) / baseline.seconds / 1e6
        print(String(format: "copy baseline loop (read, SHA-256, WRITE, one thread), %.0f GiB: %.0f MB/s, %.2f CPU s/GB",
                     gib, baselineRate, baseline.cpu / (Double(totalBytes) / 1e9)))

        // The copy path, one drive.
        let (transports, _) = try await Self.loadedDrives(1, keepingData: false)
        let file = try RecordFile(path: big)
        let header = NativeTapeFormat.Header(recordID: 1, partNumber: 0, cartridgeSequence: 0, byteOffset: 0,
                                             recordSize: file.size, recordSHA256: [], blockSize: UInt32(blockSize))
        let one = try await measure { _ = try await NativeRecordIO.writePart(TapeDrive(transport: transports[0]), file: file, header: header) }
        let oneRate = Double(totalBytes) / one.seconds / 1e6
        print(String(format: "copy path, one drive (file → SHA-256 → tape, no verify), %.0f GiB: %.0f MB/s, %.2f CPU s/GB; %.2f × the baseline (targets ≥ 1,000 MB/s, ≥ 1.0 ×)",
                     gib, oneRate, one.cpu / (Double(totalBytes) / 1e9), oneRate / baselineRate))

        // Four drives at once, a quarter each. Each drive is in a simulated library of its own:
        // one simulated library serializes its devices behind one lock (the simulator's
        // choice), which real drives on their own SCSI paths do not.
        let files = try quarters.map { try RecordFile(path: $0) }
        let fourRate = try await fourDrives(files, keepingData: false)
        print(String(format: "copy path, four drives at once (%.2f GiB each), aggregate: %.0f MB/s, %.2f CPU s/GB (target ≥ 1,600 MB/s)",
                     gib / 4, fourRate.rate, fourRate.cpu / (Double(totalBytes) / 1e9)))

        // Verify: a drive that keeps the bytes is written (not timed), then the part read back,
        // hashed, compared with its trailer.
        let (keeping, library) = try await Self.loadedDrives(1, keepingData: true)
        let drive = TapeDrive(transport: keeping[0])
        let written = try await NativeRecordIO.writePart(drive, file: file, header: header)
        let verify = try await measure {
            _ = try await NativeRecordIO.readPart(drive, firstBlock: written.firstBlock, expectedRecord: 1, expectedPart: 0)
        }
        let verifyRate = Double(totalBytes) / verify.seconds / 1e6
        print(String(format: "verify pass, one drive, %.0f GiB: %.0f MB/s, %.2f CPU s/GB (target ≥ 1,000 MB/s)",
                     gib, verifyRate, verify.cpu / (Double(totalBytes) / 1e9)))
        _ = library

        // For comparison: four drives whose simulator keeps every byte.
        let keepingRate = try await fourDrives(files, keepingData: true)
        print(String(format: "copy path, four drives at once, simulator keeping every byte (page faults of its tape): %.0f MB/s, %.2f CPU s/GB",
                     keepingRate.rate, keepingRate.cpu / (Double(totalBytes) / 1e9)))
    }

    /// Each file copied to a drive of its own, all at once; aggregate MB/s and CPU seconds.
    func fourDrives(_ files: [RecordFile], keepingData: Bool) async throws -> (rate: Double, cpu: Double) {
        var four: [any SCSITransport] = []
        var libraries: [SimulatedLibrary] = []
        for _ in files {
            let (transports, library) = try await Self.loadedDrives(1, keepingData: keepingData)
            four += transports
            libraries.append(library)
        }
        let drives = four.map { TapeDrive(transport: $0) }
        let blockSize = self.blockSize
        let aggregate = try await measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, drive) in drives.enumerated() {
                    let file = files[index]
                    let header = NativeTapeFormat.Header(recordID: Int64(index + 1), partNumber: 0, cartridgeSequence: 0, byteOffset: 0,
                                                         recordSize: file.size, recordSHA256: [], blockSize: UInt32(blockSize))
                    group.addTask { _ = try await NativeRecordIO.writePart(drive, file: file, header: header) }
                }
                try await group.waitForAll()
            }
        }
        _ = libraries
        let bytes = files.reduce(Int64(0)) { $0 + $1.size }
        return (Double(bytes) / aggregate.seconds / 1e6, aggregate.cpu)
    }

    /// Read, hash and write each block in turn on this thread (the transport's execute is awaited).
    func baselineLoop(path: String, transport: any SCSITransport) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CopyBenchError("cannot open \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let data = try handle.read(upToCount: blockSize) ?? Data()
            if data.isEmpty { break }
            let bytes = [UInt8](data)
            hasher.update(data: bytes)
            let result = try await transport.execute(.write6(data: bytes))
            guard result.status == .good else { throw CopyBenchError("WRITE failed") }
        }
        _ = hasher.finalize()
    }

    struct Measured { var seconds: Double; var cpu: Double }

    func measure(_ body: () async throws -> Void) async throws -> Measured {
        let cpuBefore = Self.cpuSeconds()
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Measured(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                        cpu: Self.cpuSeconds() - cpuBefore)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// A file of `bytes` pseudo-random bytes (a 1 MiB pattern varied per MiB: not compressible by position).
    static func makeFile(_ path: String, bytes: Int, seed: UInt64) throws {
        var state = seed
        var pattern = [UInt8](repeating: 0, count: 1 << 20)
        for index in pattern.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            pattern[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else { throw CopyBenchError("cannot create \(path)") }
        defer { try? handle.close() }
        var written = 0
        var round: UInt8 = 0
        while written < bytes {
            let count = min(pattern.count, bytes - written)
            try handle.write(contentsOf: pattern[0..<count].map { $0 ^ round })
            written += count
            round &+= 1
        }
    }

    /// A simulated library with `count` LTO-9 drives, each loaded with a blank LTO-9 cartridge
    /// and ready; their transports. `keepingData` false: the drives keep only record lengths.
    static func loadedDrives(_ count: Int, keepingData: Bool) async throws -> ([any SCSITransport], SimulatedLibrary) {
        let profile = LibraryProfile(
            name: "copy-bench",
            changer: DeviceIdentity(vendor: "IBM", product: "3573-TL", revision: "F.10", serial: "BENCHCOPY1"),
            storageSlots: 8, importExportSlots: 0,
            drives: (0..<count).map { index in
                DriveProfile(identity: DeviceIdentity(vendor: "IBM", product: "ULT3580-TD9", revision: "Q3A0", serial: "BENCHD\(index)"),
                             generation: .lto9)
            },
            cartridges: (0..<count).map { CartridgeProfile(barcode: String(format: "BENCH%dL9", $0), generation: .lto9, location: .slot($0 + 1)) },
            powerOnUnitAttention: false)
        let library = try SimulatedLibrary(profile: profile)
        if !keepingData { library.keepOnlyRecordLengths() }
        var transports: [any SCSITransport] = []
        for index in 0..<count {
            let slot = library.elementAddress(.slot(index + 1)), drive = library.elementAddress(.drive(index))
            _ = try await library.changerTransport.execute(SCSICommand(
                cdb: [0xA5, 0, 0, 0, UInt8(slot >> 8), UInt8(slot & 0xFF), UInt8(drive >> 8), UInt8(drive & 0xFF), 0, 0, 0, 0]))
            let transport = library.driveTransport(index)
            let tapeDrive = TapeDrive(transport: transport, retryInterval: .milliseconds(1))
            try await tapeDrive.waitUntilReady()
            transports.append(transport)
        }
        return (transports, library)
    }
}

struct CopyBenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
