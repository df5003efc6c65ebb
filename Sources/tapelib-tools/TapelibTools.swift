import ArgumentParser

/// `tapelib-tools`: the `ltfs`, `discover` and `catalog` commands of `tapelib`, which hands
/// them over to this executable (see tapelib's CompanionTools); it presents itself as
/// `tapelib` in usage and help.
@main
struct TapelibTools: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapelib",
        abstract: "Drive SCSI tape libraries: LTFS volumes, device discovery, the catalog, the service and its tasks.",
        subcommands: [LTFSCommand.self, DiscoverCommand.self, CatalogCommand.self, LibraryCommand.self, ServeCommand.self, TaskCommand.self, UserCommand.self, RepositoryCommand.self])
}
