import ArgumentParser
import Dispatch
import Foundation
import HWSim
import HWSimServer
import SCSI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve one simulated library: device 0 is its changer, 1… its drives.",
        discussion: "Control ops (hwsim/SERVER.md): " + SimulatorControl.opNames.joined(separator: ", "))

    @Option(help: "Library profile: a built-in name (\(LibraryProfile.builtInNames.joined(separator: ", "))) or a JSON file.")
    var profile: String
    @Option(help: "Unix socket path to listen on.") var socket: String
    @Option(help: "State directory (cartridge locations and tape contents persist here).") var state: String
    @Option(help: "Speed of modelled mechanics: 0 = instant, 1 = real time.") var speed: Double = 0

    func run() async throws {
        let libraryProfile: LibraryProfile
        if FileManager.default.fileExists(atPath: profile) {
            libraryProfile = try LibraryProfile.load(from: URL(fileURLWithPath: profile))
        } else {
            libraryProfile = try LibraryProfile.named(profile)
        }
        let stateURL = URL(fileURLWithPath: state, isDirectory: true)
        try FileManager.default.createDirectory(at: stateURL, withIntermediateDirectories: true)
        let library = try SimulatedLibrary(profile: libraryProfile, stateDirectory: stateURL, speed: speed)
        let restored = library.profile
        var devices = [ServedDevice(
            info: ServedDeviceInfo(peripheralType: 0x08, name: "changer \(restored.changer.serial)"),
            transport: library.changerTransport)]
        for (index, drive) in restored.drives.enumerated() {
            devices.append(ServedDevice(
                info: ServedDeviceInfo(peripheralType: 0x01, name: "drive \(index) \(drive.identity.serial)"),
                transport: library.driveTransport(index)))
        }
        let server = HWSimServer(socketPath: socket, devices: devices, control: SimulatorControl(library: library))
        try server.start()
        FileHandle.standardError.write(Data(
            "tapelib-hwsim: serving \(restored.name) (\(devices.count) devices) on \(socket), state in \(state)\n".utf8))
        await Self.waitForTermination()
        server.stop()
        try library.save()
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    static func waitForTermination() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "hwsim.signals")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            for number in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { once.resume() }
                source.resume()
                SignalSources.keep(source)
            }
        }
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let lock = NSLock()
    static func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }
}

final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
    func resume() {
        lock.withLock {
            continuation?.resume()
            continuation = nil
        }
    }
}
