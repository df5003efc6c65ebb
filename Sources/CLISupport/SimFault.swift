import Foundation
import HWSim
import SCSI

/// A fault armed on an in-process simulator from the command line (`--sim-fault`), so that
/// integration tests and demos can show how tapelib reports failures.
///
/// Forms:
/// - `jam[:N]` — the next N moves jam the robot;
/// - `clean:DRIVE` — the drive asks for cleaning (TapeAlert 14h);
/// - `alert:DRIVE:FLAG[,FLAG…]` — raise TapeAlert flags (hex);
/// - `media-error:BARCODE:BLOCK[:PARTITION]` — medium error at a block;
/// - `not-ready:DEVICE:SECONDS` — NOT READY, becoming ready, for a while (device 0 = changer);
/// - `gone:DEVICE` — the device disappears;
/// - `sense:DEVICE:OPCODE:KEY/ASC/ASCQ[:N]` — CHECK CONDITION for the next N commands (hex);
/// - `quirk:NAME` — dvcid-voltag, alloc16, becoming-ready, no-mode-sense-10, back-to-back-move,
///   overlapping-pages.
public struct SimFault: Sendable {
    public let spec: String

    public static func parse(_ spec: String) throws -> SimFault {
        let fault = SimFault(spec: spec)
        _ = try fault.action()
        return fault
    }

    public func apply(to library: SimulatedLibrary) throws {
        try action()(library)
    }

    private func action() throws -> @Sendable (SimulatedLibrary) -> Void {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func int(_ i: Int, radix: Int = 10) throws -> Int {
            guard parts.indices.contains(i), let v = Int(parts[i], radix: radix), v >= 0 else {
                throw CLIError("--sim-fault \(spec): field \(i + 1) must be a non-negative number")
            }
            return v
        }
        switch parts.first ?? "" {
        case "jam":
            let n = parts.count > 1 ? try int(1) : 1
            return { $0.jamRobot(nextMoves: n) }
        case "clean":
            let d = try int(1)
            return { $0.requireCleaning(drive: d) }
        case "alert":
            let d = try int(1)
            guard parts.count > 2 else { throw CLIError("--sim-fault alert:DRIVE:FLAG[,FLAG…]") }
            let flags = try parts[2].split(separator: ",").map { f -> UInt8 in
                guard let v = UInt8(f, radix: 16), (1...64).contains(v) else {
                    throw CLIError("--sim-fault \(spec): TapeAlert flags are hex 01–40")
                }
                return v
            }
            return { $0.raiseTapeAlerts(flags, drive: d) }
        case "media-error":
            guard parts.count >= 3 else { throw CLIError("--sim-fault media-error:BARCODE:BLOCK[:PARTITION]") }
            let barcode = parts[1]
            let block = try int(2)
            let partition = parts.count > 3 ? try int(3) : 0
            return { $0.injectMediaError(barcode: barcode, partition: partition, block: block) }
        case "not-ready":
            let device = try int(1)
            let seconds = try int(2)
            return { $0.makeNotReady(device: device, for: .seconds(seconds)) }
        case "gone":
            let device = try int(1)
            return { $0.disconnect(device: device) }
        case "sense":
            guard parts.count >= 4 else { throw CLIError("--sim-fault sense:DEVICE:OPCODE:KEY/ASC/ASCQ[:N]") }
            let device = try int(1)
            let opcode = try int(2, radix: 16)
            let kaq = parts[3].split(separator: "/").compactMap { UInt8($0, radix: 16) }
            guard opcode <= 0xFF, kaq.count == 3, let key = SenseKey(rawValue: kaq[0]) else {
                throw CLIError("--sim-fault \(spec): expected hex OPCODE and KEY/ASC/ASCQ")
            }
            let count = parts.count > 4 ? try int(4) : 1
            let sense = HWSim.SenseData(key, AdditionalSense(kaq[1], kaq[2]))
            return { $0.failNext(count, opcode: UInt8(opcode), device: device, with: sense) }
        case "quirk":
            guard parts.count == 2 else { throw CLIError("--sim-fault quirk:NAME") }
            var quirks = QuirkSet()
            switch parts[1] {
            case "dvcid-voltag": quirks.dvcidWithVoltagRefused = true
            case "alloc16": quirks.sixteenBitAllocationLength = true
            case "becoming-ready": quirks.becomingReadySeconds = 2
            case "no-mode-sense-10": quirks.modeSense10Refused = true
            case "back-to-back-move": quirks.backToBackMoveHardwareError = true
            case "overlapping-pages": quirks.overlappingElementPages = true
            default: throw CLIError("--sim-fault quirk:\(parts[1]): unknown quirk")
            }
            let q = quirks
            return { $0.setQuirks(q) }
        default:
            throw CLIError("--sim-fault \(spec): unknown fault (jam, clean, alert, media-error, not-ready, gone, sense, quirk)")
        }
    }
}
