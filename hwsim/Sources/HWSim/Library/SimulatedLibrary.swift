import Foundation
import SCSI

/// A simulated tape library: one medium changer and its drives, answering CDBs byte for byte
/// as SMC-3/SSC-4 devices do. Thread-safe; every command runs under one lock.
///
/// Devices: `transport(device: 0)` is the changer, `1…N` the drives in data transfer element
/// order (`changerTransport`, `driveTransport(_:)`).
public final class SimulatedLibrary: Sendable {
    let core: LibraryCore
    /// Where state persists between runs (nil: in memory only).
    public let stateDirectory: URL?
    let saveQueue = DispatchQueue(label: "hwsim.state-save")
    /// Serialises writers of the state directory (snapshots are taken in order under the core lock).
    let saveLock = NSLock()

    /// A library built from a profile, in memory. `speed`: 0 = instant (default), 1 = real time.
    public init(profile: LibraryProfile, speed: Double = 0) throws {
        core = try LibraryCore(profile: profile, speed: speed)
        stateDirectory = nil
    }

    /// A library whose state lives in `stateDirectory`: restored from it when it holds a saved
    /// library, otherwise built from `profile` and saved there.
    public init(profile: LibraryProfile, stateDirectory: URL, speed: Double = 0) throws {
        self.stateDirectory = stateDirectory
        if let restored = try LibraryStateStore.restore(from: stateDirectory, speed: speed) {
            core = restored
        } else {
            core = try LibraryCore(profile: profile, speed: speed)
            try LibraryStateStore.save(core, to: stateDirectory)
        }
    }

    /// A built-in profile by name (`autoloader`, `midsize`, `large`), in memory or persistent.
    public convenience init(profileNamed name: String, stateDirectory: URL? = nil, speed: Double = 0) throws {
        let profile = try LibraryProfile.named(name)
        if let stateDirectory {
            try self.init(profile: profile, stateDirectory: stateDirectory, speed: speed)
        } else {
            try self.init(profile: profile, speed: speed)
        }
    }

    public var profile: LibraryProfile { withCore { $0.profile } }
    public var driveCount: Int { withCore { $0.drives.count } }

    public var changerTransport: SCSITransport { SimulatedDeviceTransport(library: self, device: 0) }
    /// Drive `index` (0-based, element address order).
    public func driveTransport(_ index: Int) -> SCSITransport { SimulatedDeviceTransport(library: self, device: index + 1) }
    /// Device `device`: 0 the changer, 1…N the drives.
    public func transport(device: Int) -> SCSITransport { SimulatedDeviceTransport(library: self, device: device) }

    /// Runs one command on a device, as its transport does.
    public func execute(device: Int, _ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let (result, wait, needsSave) = try withCoreThrowing { core throws(TransportError) in
            let (r, w) = try core.execute(device: device, command: command)
            let save = core.stateChanged
            core.stateChanged = false
            return (r, w, save)
        }
        if wait > .zero { try? await Task.sleep(for: wait) }
        if needsSave, stateDirectory != nil { await saveInBackground() }
        return result
    }

    /// Writes the state (library layout and changed cartridges) to the state directory.
    /// The state is captured under the lock and written without holding it.
    public func save() throws {
        guard let dir = stateDirectory else { return }
        try saveLock.withLock {
            let snapshot = withCore { LibraryStateStore.snapshot($0) }
            try LibraryStateStore.write(snapshot, to: dir)
        }
    }

    /// Saves on a dedicated queue so that file I/O never blocks the cooperative pool.
    func saveInBackground() async {
        await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
            saveQueue.async { [self] in
                try? save()
                k.resume()
            }
        }
    }

    /// From now on the drives keep only the length of each record written, not its bytes —
    /// as a real drive leaves the host's memory free once the data is on its way to tape.
    /// Positions, capacity, early warning and sense are as before; reading such a record back
    /// is a MEDIUM ERROR. For throughput benchmarks, where keeping every byte in memory would
    /// measure the simulator's page faults rather than the initiator.
    public func keepOnlyRecordLengths() {
        withCore { $0.keepsRecordData = false }
    }

    func withCore<T>(_ body: (LibraryCore) throws -> T) rethrows -> T {
        core.lock.lock()
        defer { core.lock.unlock() }
        return try body(core)
    }

    func withCoreThrowing<T>(_ body: (LibraryCore) throws(TransportError) -> T) throws(TransportError) -> T {
        core.lock.lock()
        defer { core.lock.unlock() }
        return try body(core)
    }
}

/// The `SCSITransport` of one simulated device.
struct SimulatedDeviceTransport: SCSITransport {
    let library: SimulatedLibrary
    let device: Int

    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        try await library.execute(device: device, command)
    }
}
