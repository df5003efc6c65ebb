import ArgumentParser
import Foundation
import HWSim
import SCSI
import TapeHardware

/// `--device URL` and `--sim-state DIR`, shared by every command that talks to hardware.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: "Device: /dev/sgN, sim:PROFILE, hwsim:SOCKET#N or iscsi://HOST:PORT/IQN/LUN.")
    var device: String

    @Option(name: .long, help: "With sim:PROFILE, a directory that keeps the simulator's state between runs.")
    var simState: String?

    @Option(name: .long, help: ArgumentHelp(
        "With sim:PROFILE, arm a simulator fault before the command (repeatable): jam[:N], clean:DRIVE, "
        + "alert:DRIVE:FLAGS, media-error:BARCODE:BLOCK, not-ready:DEVICE:SECONDS, gone:DEVICE, "
        + "sense:DEVICE:OPCODE:KEY/ASC/ASCQ[:N], quirk:NAME."))
    var simFault: [String] = []

    func validate() throws {
        do {
            _ = try DeviceAddress.parse(device)
        } catch {
            throw ValidationError(error.description)
        }
        for spec in simFault {
            do { _ = try SimFault.parse(spec) } catch { throw ValidationError("\(error)") }
        }
    }

    var address: DeviceAddress {
        get throws { try DeviceAddress.parse(device) }
    }

    /// The transports behind the address: the changer (if it is one) and the drives.
    func open() throws -> OpenedDevice {
        let address = try self.address
        if !simFault.isEmpty, case .simulator = address {} else if !simFault.isEmpty {
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
            for spec in simFault { try SimFault.parse(spec).apply(to: library) }
            // At instant speed waits pass on the virtual clock (see InstantWaitTransport).
            func transport(_ device: Int) -> any SCSITransport {
                library.speed == 0 ? InstantWaitTransport(library: library, device: device, step: .milliseconds(500))
                                   : library.transport(device: device)
            }
            return OpenedDevice(
                changer: transport(0),
                drives: (0..<library.driveCount).map { transport($0 + 1) },
                simulator: library)
        case .sg(let path):
            return try OpenedDevice(single: DeviceTransports.sg(path: path))
        case .hwsim(let socket, let device):
            return try OpenedDevice(single: DeviceTransports.hwsim(socket: socket, device: device))
        case .iscsi(let host, let port, let iqn, let lun):
            return OpenedDevice(single: DeviceTransports.iscsi(host: host, port: port, iqn: iqn, lun: lun))
        }
    }
}

/// What a device address opened.
struct OpenedDevice {
    /// For a library address (sim:), the changer; for a single device, that device.
    var changer: (any SCSITransport)?
    var drives: [any SCSITransport]
    var single: (any SCSITransport)?
    var simulator: SimulatedLibrary?

    /// Real time to sleep between retries and polls: none against an instant simulator, whose
    /// transport lets the same time pass on its virtual clock.
    var retryInterval: Duration {
        if let simulator, simulator.speed == 0 { return .zero }
        return .milliseconds(500)
    }

    func changerDevice() -> MediumChanger {
        MediumChanger(transport: changerTransport, retryInterval: retryInterval)
    }

    func driveDevice(_ n: Int?) throws -> TapeDrive {
        let interval = retryInterval
        return TapeDrive(transport: try drive(n), pollInterval: interval > .zero ? .seconds(1) : .zero,
                         retryInterval: interval)
    }

    init(changer: any SCSITransport, drives: [any SCSITransport], simulator: SimulatedLibrary) {
        self.changer = changer
        self.drives = drives
        self.simulator = simulator
    }

    init(single: any SCSITransport) {
        self.single = single
        self.drives = []
    }

    var changerTransport: any SCSITransport { changer ?? single ?? drives[0] }

    /// Drive `n` of a library address, or the single device when the address names a drive.
    func drive(_ n: Int?) throws -> any SCSITransport {
        if let single {
            if let n, n != 0 {
                throw CLIError("--device names one device; --drive \(n) needs a library address (sim:…) or the drive's own device")
            }
            return single
        }
        let n = n ?? 0
        guard drives.indices.contains(n) else {
            throw CLIError("no drive \(n): this library has \(drives.count) drive(s), numbered 0–\(max(0, drives.count - 1))")
        }
        return drives[n]
    }

    /// Flushes simulator state before the process exits.
    func close() {
        try? simulator?.save()
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
