import SCSI

/// Faults armed by tests (see `SimulatedLibrary`'s fault-injection API).
struct FaultBook {
    struct InjectedSense {
        var device: Int
        var opcode: UInt8
        var remaining: Int
        var sense: SenseData
    }
    var injected: [InjectedSense] = []
    /// MOVE/EXCHANGE MEDIUM commands that will jam the robot.
    var robotJams = 0
    var goneDevices = Set<Int>()
    /// Device → virtual time until which it answers NOT READY 2/04/01.
    var notReadyUntil: [Int: Duration] = [:]

    mutating func takeInjectedSense(device: Int, opcode: UInt8) -> SenseData? {
        guard let i = injected.firstIndex(where: { $0.device == device && $0.opcode == opcode && $0.remaining > 0 }) else {
            return nil
        }
        injected[i].remaining -= 1
        let s = injected[i].sense
        if injected[i].remaining == 0 { injected.remove(at: i) }
        return s
    }
}
