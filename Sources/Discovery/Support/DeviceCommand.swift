import SCSI

/// Sends one command to a device the way discovery needs it.
enum DeviceCommand {
    /// Runs a command, repeating it after UNIT ATTENTION: a device reports a power-on, reset
    /// or inventory change once per initiator, and discovery may be the first to ask.
    static func run(_ command: SCSICommand, through transport: any SCSITransport) async throws(SCSIError) -> SCSIResult {
        var attempt = 0
        while true {
            attempt += 1
            let result: SCSIResult
            do {
                result = try await transport.execute(command)
            } catch {
                throw .transport(error)
            }
            do {
                return try result.checked(opcode: command.operationCode)
            } catch where error.matches(.unitAttention) && attempt < 4 {
                continue
            }
        }
    }
}
