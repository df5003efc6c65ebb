import HWSim
import SCSI

/// A simulator transport for the CLI at instant speed: the simulator's clock is virtual, so a
/// wait that tapelib would spend sleeping (NOT READY, becoming ready; an IMMED operation in
/// progress) is passed on the virtual clock instead, and the command sequence carries on
/// exactly as it would against a real device, without the real-time wait.
struct InstantWaitTransport: SCSITransport {
    let library: SimulatedLibrary
    let device: Int
    /// Virtual time that passes per NOT READY answer: the CLI's retry/poll interval.
    let step: Duration

    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let result = try await library.execute(device: device, command)
        if result.status == .checkCondition, result.senseData?.senseKey == .notReady {
            library.advanceClock(by: step)
        }
        return result
    }
}
