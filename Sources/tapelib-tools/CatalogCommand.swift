import ArgumentParser
import Catalog

/// `tapelib catalog …`: manage the catalog database.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Manage the catalog database.",
        subcommands: [Init.self])

    /// `tapelib catalog init [--state-dir DIR]`: creates the catalog or migrates it to this
    /// build's schema; running it again is harmless.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create or migrate the catalog in the state directory.")

        @Option(name: .customLong("state-dir"),
                help: "State directory (default: /var/lib/tapelib as root, $XDG_STATE_HOME/tapelib otherwise).")
        var stateDirectory: String?

        func run() async throws {
            let directory = StateDirectory.resolve(override: stateDirectory)
            let catalog = try await CatalogDatabase.open(stateDirectory: directory)
            let applied = try await catalog.appliedMigrations()
            print("catalog: \(StateDirectory.catalogPath(in: directory))")
            print("schema: \(applied.joined(separator: ", "))")
        }
    }
}
