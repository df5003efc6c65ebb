import ArgumentParser
import Catalog
import Foundation

/// `tapelib catalog …`: manage the catalog database.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Manage the catalog database.",
        subcommands: [Init.self, Migrate.self])

    /// Where the catalog is: `--catalog`, else TAPELIB_CATALOG_URL, else the state directory's SQLite file.
    struct Location: ParsableArguments {
        @Option(name: .customLong("state-dir"),
                help: "State directory (default: /var/lib/tapelib as root, $XDG_STATE_HOME/tapelib otherwise).")
        var stateDirectory: String?

        @Option(name: .customLong("catalog"),
                help: ArgumentHelp("The catalog: postgres://USER@HOST:PORT/DB[?sslmode=…] or sqlite:DIR "
                                   + "(default: --state-dir's SQLite file when given, else $TAPELIB_CATALOG_URL, "
                                   + "else the default state directory's). "
                                   + "The password comes from PGPASSWORD or a 0600 password file, never the URL.",
                                   valueName: "url"))
        var catalog: String?

        @Option(name: .customLong("catalog-pool"), help: "PostgreSQL connections per process (1…500, default 10).")
        var catalogPool: Int?

        func resolve() throws -> CatalogLocation {
            try CatalogLocation.resolve(flag: catalog, stateDirectory: StateDirectory.resolve(override: stateDirectory),
                                        stateDirectoryGiven: stateDirectory != nil, poolSize: catalogPool)
        }
    }

    static func print(_ report: CatalogAdministration.SchemaReport) {
        Swift.print("catalog: \(report.location)")
        Swift.print("applied now: \(report.appliedNow.isEmpty ? "nothing (the schema is current)" : report.appliedNow.joined(separator: ", "))")
        Swift.print("schema: \(report.schema.joined(separator: ", "))")
    }

    /// `tapelib catalog init`: creates the catalog or migrates it to this build's schema;
    /// running it again is harmless.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the catalog (SQLite file or PostgreSQL tables), or migrate it to this build's schema.")

        @OptionGroup var location: Location

        func run() async throws {
            CatalogCommand.print(try await CatalogAdministration.initialize(try location.resolve()))
        }
    }

    /// `tapelib catalog migrate`: brings an existing catalog to this build's schema.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Migrate an existing catalog to this build's schema (refused where there is no catalog yet).")

        @OptionGroup var location: Location

        func run() async throws {
            CatalogCommand.print(try await CatalogAdministration.migrate(try location.resolve()))
        }
    }
}
