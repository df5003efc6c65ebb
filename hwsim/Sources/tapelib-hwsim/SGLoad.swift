import ArgumentParser
import Foundation
import SCSI
import SGTransport

/// Keeps several devices busy in slow commands through SGTransport while timing a ticker on
/// the cooperative pool: shows that blocked SG_IO does not starve other async work.
struct SGLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-load",
        abstract: "Run one slow command on each device at once and report how the pool kept up.")

    @Option(help: "Comma-separated sg nodes.") var devices: String
    @Option(help: "Ticker period in milliseconds.") var tickMs: Int = 10

    func run() async throws {
        let paths = devices.split(separator: ",").map(String.init)
        var transports: [SGTransport] = []
        for path in paths { transports.append(try await SGTransport.open(path: path)) }
        let started = ContinuousClock.now
        let ticker = Task {
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(tickMs))
                ticks += 1
            }
            return ticks
        }
        let statuses = try await withThrowingTaskGroup(of: UInt8.self) { group in
            for transport in transports {
                group.addTask {
                    try await transport.execute(SCSICommand(cdb: [0x00, 0, 0, 0, 0, 0])).status.rawValue
                }
            }
            var all: [UInt8] = []
            for try await status in group { all.append(status) }
            return all
        }
        let elapsed = ContinuousClock.now - started
        ticker.cancel()
        let ticks = await ticker.value
        for transport in transports { await transport.close() }
        let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        print("devices=\(transports.count) completed=\(statuses.count) elapsed_ms=\(ms) ticks=\(ticks)")
    }
}
