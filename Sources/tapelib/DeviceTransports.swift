import SCSI

/// Transports for real devices and hwsim servers; wired as those transports land.
enum DeviceTransports {
    static func sg(path: String) throws -> any SCSITransport {
        throw CLIError("SG_IO devices (\(path)) are not wired into this build yet")
    }

    static func hwsim(socket: String, device: Int) throws -> any SCSITransport {
        throw CLIError("hwsim servers (\(socket)) are not wired into this build yet")
    }
}
