import ArgumentParser
import Foundation
import HWSimServer
import SCSI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve one simulated library: device 0 is its changer, 1… its drives.")

    @Option(help: "Library profile name.") var profile: String
    @Option(help: "Unix socket path to listen on.") var socket: String
    @Option(help: "State directory (cartridge locations and tape contents persist here).") var state: String

    func run() async throws {
        throw ValidationError("the simulator is not wired yet")
    }
}
