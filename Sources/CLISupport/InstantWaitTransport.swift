import Foundation
import HWSim
import SCSI
import TapeHardware

/// A simulator transport for the CLI at instant speed: the simulator's clock is virtual, so a
/// wait that tapelib would spend sleeping (NOT READY, becoming ready; an IMMED operation in
/// progress) is passed on the virtual clock instead, and the command sequence carries on
/// exactly as it would against a real device, without the real-time wait. Becoming ready
/// (04h/01h) and no medium yet (3Ah/00h) are retried with backoff (`CommandRunner.retryDelay`),
/// so each such answer lets the pause the runner counts pass; other NOT READY answers (an
/// IMMED operation polled) let `step` pass.
final class InstantWaitTransport: SCSITransport, @unchecked Sendable {
    let library: SimulatedLibrary
    let device: Int
    /// Virtual time that passes per NOT READY answer: the CLI's retry/poll interval.
    let step: Duration
    private let lock = NSLock()
    private var consecutiveRetries = 0

    init(library: SimulatedLibrary, device: Int, step: Duration) {
        self.library = library
        self.device = device
        self.step = step
    }

    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let result = try await library.execute(device: device, command)
        let advance: Duration? = lock.withLock {
            guard result.status == .checkCondition, let sense = result.senseData, sense.senseKey == .notReady else {
                consecutiveRetries = 0
                return nil
            }
            guard sense.additionalSense == .becomingReady || sense.additionalSense == .mediumNotPresent else {
                return step
            }
            defer { consecutiveRetries += 1 }
            return CommandRunner.retryDelay(attempt: consecutiveRetries, base: step)
        }
        if let advance { library.advanceClock(by: advance) }
        return result
    }
}
