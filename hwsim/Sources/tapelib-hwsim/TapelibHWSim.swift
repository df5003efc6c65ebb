import ArgumentParser

@main
struct TapelibHWSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapelib-hwsim",
        abstract: "Run simulated tape libraries as a server on a Unix socket (see hwsim/SERVER.md).",
        subcommands: [Serve.self, SGRaw.self, SGLoad.self])
}
