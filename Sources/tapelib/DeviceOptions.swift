import ArgumentParser
import CLISupport
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

    /// The transports behind the address: the changer (if it is one) and the drives.
    func open() throws -> OpenedDevice {
        try OpenedDevice.open(device: device, simState: simState, simFaults: simFault)
    }
}
