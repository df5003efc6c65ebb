import DeviceAccess
import ArgumentParser
import CLISupport
import Catalog
import Discovery
import Foundation
import LibraryService

/// `tapelib library …`: the tape libraries the catalog has, and adding one from what this host
/// sees (the CLI side of POST tape_libraries).
struct LibraryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "library",
        abstract: "List the catalog's tape libraries, or add one from this host's devices.",
        subcommands: [Add.self, List.self])

    /// `tapelib library add --changer /dev/sgN`
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add the library of a changer on this host, with the drives its bays report (matched by serial).")

        @Option(name: .long, help: "The changer's sg node, as `tapelib discover --candidates automatic` lists it.")
        var changer: String
        @Option(name: .long, help: "This media server's hostname in the catalog (default: the host's name).")
        var hostname: String?
        @Option(name: .long, help: "Description.") var description = ""
        @Option(name: .long, help: "Take the devices of an in-process simulated library of this profile instead of udev's (paths sim:PROFILE#N).")
        var sim: String?
        @Option(name: .customLong("drive-map"), help: "N=/dev/sgM: drive N of the changer is the tape drive at that node (overrides the match by serial; repeat for each bay).")
        var driveMap: [String] = []
        @OptionGroup var catalog: TaskCommand.Catalog

        func validate() throws {
            if let hostname, hostname.isEmpty || hostname.utf8.count > 255 {
                throw ValidationError("--hostname must be 1…255 bytes")
            }
            _ = try parsedDriveMap()
        }

        /// `--drive-map N=PATH` entries as drive number → node.
        func parsedDriveMap() throws -> [Int: String] {
            var map: [Int: String] = [:]
            for entry in driveMap {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let number = Int(parts[0]), (0...4_095).contains(number), !parts[1].isEmpty else {
                    throw ValidationError("--drive-map \(entry): expected N=/dev/sgM (a drive number 0… and a node)")
                }
                guard map[number] == nil else { throw ValidationError("--drive-map names drive \(number) twice") }
                map[number] = parts[1]
            }
            return map
        }

        func run() async throws {
            try await reportingFailures {
                let database = try await TapeCatalog.open(try catalog.location)
                let source: any DiscoverySource = if let sim {
                    try SimulatedDiscovery.source(profile: sim)
                } else {
                    UdevDiscoverySource(openTransport: { path in DeviceOpener.sg(path: path) })
                }
                // The changer's bays resolved to their drives' own nodes by serial: the same
                // resolution `tapelib drive --device CHANGER --drive N` uses.
                let candidate: ChangerCandidate
                do {
                    candidate = try await CandidateFinder(source: source).library(changer: changer)
                } catch {
                    throw CommandFailure("\(error)")
                }
                // Every tape drive on this host: what a manual mapping may name, and what a bay
                // left without a drive is told about.
                let drivesSeen: [DiscoveredDevice]
                do {
                    drivesSeen = try await CandidateFinder(source: source).candidates(mode: .manual).drives.map(\.drive)
                } catch {
                    throw CommandFailure("\(error)")
                }
                var manual: [Int: DiscoveredDevice] = [:]
                for (number, path) in try parsedDriveMap() {
                    guard let drive = drivesSeen.first(where: { $0.sgPath == path || $0.byIdLinks.contains(path) }) else {
                        throw CommandFailure("--drive-map \(number)=\(path): no tape drive at \(path) on this host (drives: "
                            + (drivesSeen.isEmpty ? "none" : drivesSeen.map(\.sgPath).joined(separator: ", ")) + ")")
                    }
                    manual[number] = drive
                }
                let host = hostname ?? ServiceHost.name()
                let server = try await ServiceHost.mediaServer(host, simulated: false, in: database) { Output.error($0) }
                let registered = try await LibraryRegistration.register(candidate, mediaServer: server,
                                                                         description: description, manualDrives: manual,
                                                                         drivesSeen: drivesSeen, catalog: database)
                print("tape library \(registered.library.id ?? 0): changer \(changer), "
                      + "\(registered.drives.count) drive(s): "
                      + registered.drives.map { "\($0.device) (serial \($0.serial))" }.joined(separator: ", "))
            }
        }
    }

    /// `tapelib library list`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the catalog's tape libraries.")

        @Flag(name: .long, help: "Print JSON.") var json = false
        @OptionGroup var catalog: TaskCommand.Catalog

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                let libraries = try await database.listLibraries(ListQuery(page: 1, limit: 1_000, sort: "id")).items
                var listed: [ListedLibrary] = []
                for library in libraries {
                    let changer = try await library.mediumChangerId.asyncFlatMap { try await database.changer(id: $0) }
                    let drives = try await library.id.asyncFlatMap { try await database.drives(library: $0) } ?? []
                    listed.append(ListedLibrary(
                        id: library.id ?? 0, syncState: library.syncState.rawValue,
                        changer: changer.map { ListedLibrary.Device(device: $0.device, serial: $0.serial,
                                                                     state: $0.state.rawValue) },
                        drives: drives.map { ListedLibrary.Device(device: $0.device, serial: $0.serial,
                                                                 state: $0.state.rawValue) }))
                }
                if json {
                    try Output.printJSON(listed)
                } else {
                    print(Output.table(["ID", "SYNC", "CHANGER", "DRIVES"], listed.map(\.row)))
                }
            }
        }
    }

    /// One line of `library list`: the text table's columns, and the same fields as JSON
    /// (`id`, `sync_state`, `changer` {device, serial, state}, `drives` [{device, serial, state}]).
    struct ListedLibrary: Encodable {
        /// The changer or a drive: where it is, its serial, online/offline.
        struct Device: Encodable {
            var device: String
            var serial: String
            var state: String
        }

        var id: Int64
        var syncState: String
        var changer: Device?
        var drives: [Device]

        private enum CodingKeys: String, CodingKey { case id, syncState, changer, drives }

        /// A library without a changer has `"changer": null` (the table's "-"), not no key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(syncState, forKey: .syncState)
            try container.encode(changer, forKey: .changer)
            try container.encode(drives, forKey: .drives)
        }

        var row: [String] {
            [String(id), syncState, changer.map { "\($0.device) \($0.serial) \($0.state)" } ?? "-",
             drives.map { "\($0.device)(\($0.state))" }.joined(separator: " ")]
        }
    }
}

extension Optional {
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
