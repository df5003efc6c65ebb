import DeviceAccess
import Foundation
import HWSim
import SCSI
import TapeHardware

/// What a device address opened: the transports behind `--device` for the command-line tools
/// (`tapelib` and its companion `tapelib-tools`).
public struct OpenedDevice {
    /// For a library address (sim:), the changer; for a single device, that device.
    public var changer: (any SCSITransport)?
    public var drives: [any SCSITransport]
    public var single: (any SCSITransport)?
    public var simulator: SimulatedLibrary?
    /// The address `single` was opened from (resolving a library's drive N needs it).
    public var address: DeviceAddress?

    /// Opens `device` (/dev/sgN, sim:PROFILE, hwsim:SOCKET#N, iscsi://…); `simState` and
    /// `simFaults` apply to sim:PROFILE only.
    public static func open(device: String, simState: String?, simFaults: [String]) throws -> OpenedDevice {
        let address = try DeviceAddress.parse(device)
        if !simFaults.isEmpty, case .simulator = address {} else if !simFaults.isEmpty {
            throw CLIError("--sim-fault needs a sim:PROFILE device")
        }
        switch address {
        case .simulator(let profileName):
            let profile: LibraryProfile
            if profileName.hasSuffix(".json") {
                profile = try LibraryProfile.load(from: URL(fileURLWithPath: profileName))
            } else {
                profile = try LibraryProfile.named(profileName)
            }
            let library: SimulatedLibrary
            if let simState {
                library = try SimulatedLibrary(profile: profile,
                                               stateDirectory: URL(fileURLWithPath: simState, isDirectory: true))
            } else {
                library = try SimulatedLibrary(profile: profile)
            }
            for spec in simFaults { try SimFault.parse(spec).apply(to: library) }
            // At instant speed waits pass on the virtual clock (see InstantWaitTransport).
            func transport(_ device: Int) -> any SCSITransport {
                library.speed == 0 ? InstantWaitTransport(library: library, device: device, step: .milliseconds(500))
                                   : library.transport(device: device)
            }
            return OpenedDevice(
                changer: transport(0),
                drives: (0..<library.driveCount).map { transport($0 + 1) },
                simulator: library)
        case .sg, .hwsim, .iscsi:
            return OpenedDevice(single: try DeviceOpener.open(address), address: address)
        }
    }

    /// Real time to sleep between retries and polls: none against an instant simulator, whose
    /// transport lets the same time pass on its virtual clock.
    public var retryInterval: Duration {
        if let simulator, simulator.speed == 0 { return .zero }
        return .milliseconds(500)
    }

    public func changerDevice() -> MediumChanger {
        MediumChanger(transport: changerTransport, retryInterval: retryInterval)
    }

    /// Drive `n` (see `drive(_:)`) as a `TapeDrive`.
    public func driveDevice(_ n: Int?) async throws -> TapeDrive {
        let interval = retryInterval
        return TapeDrive(transport: try await drive(n), pollInterval: interval > .zero ? .seconds(1) : .zero,
                         retryInterval: interval)
    }

    public init(changer: any SCSITransport, drives: [any SCSITransport], simulator: SimulatedLibrary) {
        self.changer = changer
        self.drives = drives
        self.simulator = simulator
    }

    public init(single: any SCSITransport, address: DeviceAddress? = nil) {
        self.single = single
        self.drives = []
        self.address = address
    }

    public var changerTransport: any SCSITransport { changer ?? single ?? drives[0] }

    /// Drive `n` of a library address (sim:…); for a single device, the device itself when it
    /// is a tape drive, or drive `n` of the library whose changer it is, resolved to the drive's
    /// own node (see `DriveNodeResolution`): a drive's commands never go to a changer.
    public func drive(_ n: Int?) async throws -> any SCSITransport {
        if let single {
            return try await DriveNodeResolution.drive(n, of: single, address: address, retryInterval: retryInterval)
        }
        let n = n ?? 0
        guard drives.indices.contains(n) else {
            throw CLIError("no drive \(n): this library has \(drives.count) drive(s), numbered 0–\(max(0, drives.count - 1))")
        }
        return drives[n]
    }

    /// Flushes simulator state before the process exits.
    public func close() {
        try? simulator?.save()
    }
}

/// A refusal or failure of a command-line tool, printed as `error: …`.
public struct CLIError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
