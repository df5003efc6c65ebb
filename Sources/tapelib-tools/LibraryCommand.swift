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
        @OptionGroup var catalog: TaskCommand.Catalog

        func validate() throws {
            if let hostname, hostname.isEmpty || hostname.utf8.count > 255 {
                throw ValidationError("--hostname must be 1…255 bytes")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let directory = StateDirectory.resolve(override: catalog.stateDirectory)
                let database = try await CatalogDatabase.open(stateDirectory: directory)
                let source: any DiscoverySource = if let sim {
                    try SimulatedDiscovery.source(profile: sim)
                } else {
                    UdevDiscoverySource(openTransport: { path in try DeviceTransports.sg(path: path) })
                }
                let candidates = try await CandidateFinder(source: source).candidates(mode: .automatic)
                guard let candidate = candidates.changers.first(where: { $0.changer.sgPath == changer }) else {
                    let seen = candidates.changers.map(\.changer.sgPath).joined(separator: ", ")
                    throw CommandFailure("no changer at \(changer) on this host (changers: \(seen.isEmpty ? "none" : seen))")
                }
                let host = hostname ?? ServiceHost.name()
                let server = try await ServiceHost.mediaServer(host, simulated: false, in: database) { Output.error($0) }
                let registered = try await LibraryRegistration.register(candidate, mediaServer: server,
                                                                         description: description, catalog: database)
                print("tape library \(registered.library.id ?? 0): changer \(changer), "
                      + "\(registered.drives.count) drive(s): "
                      + registered.drives.map { "\($0.device) (serial \($0.serial))" }.joined(separator: ", "))
                for bay in candidate.bays where bay.drive == nil {
                    Output.error("bay \(bay.driveNumber) (element \(bay.elementAddress)) left out: "
                                 + (bay.problem?.message ?? "no drive matched"))
                }
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
                var rows: [[String]] = []
                for library in libraries {
                    let changer = try await library.mediumChangerId.asyncFlatMap { try await database.changer(id: $0) }
                    let drives = try await library.id.asyncFlatMap { try await database.drives(library: $0) } ?? []
                    rows.append([String(library.id ?? 0), library.syncState.rawValue,
                                 changer.map { "\($0.device) \($0.serial) \($0.state.rawValue)" } ?? "-",
                                 drives.map { "\($0.device)(\($0.state.rawValue))" }.joined(separator: " ")])
                }
                if json {
                    try Output.printJSON(libraries.map { ["id": $0.id ?? 0] })
                } else {
                    print(Output.table(["ID", "SYNC", "CHANGER", "DRIVES"], rows))
                }
            }
        }
    }
}

extension Optional {
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
