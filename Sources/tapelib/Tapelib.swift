import ArgumentParser

/// `tapelib`: the device commands run here; `ltfs`, `discover`, `catalog`, `serve` and `task` run in the
/// companion executable `tapelib-tools` (see CompanionTools), so that this process does not
/// load the XML parser, SQLite/GRDB and udev code those need.
@main
enum TapelibMain {
    static func main() async {
        CompanionTools.runIfDelegated(CommandLine.arguments)
        await Tapelib.main()
    }
}

struct Tapelib: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapelib",
        abstract: "Drive SCSI tape libraries: changers, drives, LTFS, catalog, the service and its tasks.",
        subcommands: [ChangerCommand.self, DriveCommand.self, InquiryCommand.self,
                      CompanionTools.LTFS.self, CompanionTools.Discover.self, CompanionTools.Catalog.self,
                      CompanionTools.Library.self, CompanionTools.Serve.self, CompanionTools.Tasks.self, CompanionTools.Users.self,
                      CompanionTools.Repository.self])
}
