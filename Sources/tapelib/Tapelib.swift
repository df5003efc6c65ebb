import ArgumentParser

@main
struct Tapelib: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapelib",
        abstract: "Drive SCSI tape libraries: changers, drives, LTFS, catalog.",
        subcommands: [ChangerCommand.self, DriveCommand.self, InquiryCommand.self, LTFSCommand.self,
                      DiscoverCommand.self, CatalogCommand.self])
}
