import Foundation
import Testing

/// The `tapelib` executable runs the device commands itself and hands `ltfs`, `discover` and
/// `catalog` to `tapelib-tools` next to it; both halves answer as `tapelib`.
@Suite struct CLIDispatchTests {
    /// `changer status --json` keeps its exact layout (what scripts and issue 4's benchmark
    /// read): the document written by tapelib before the streaming writer, for sim:midsize.
    @Test func changerStatusJSONIsByteForByteUnchanged() async throws {
        let fixture = CLI.packageRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/changer-status-midsize.json")
        let expected = try String(contentsOf: fixture, encoding: .utf8)
        let r = try await CLI.run(["changer", "status", "--json", "--device", "sim:midsize"])
        #expect(r.status == 0)
        #expect(r.stdout == expected)
    }

    @Test func helpListsTheCommandsOfBothExecutables() async throws {
        let r = try await CLI.run(["--help"])
        #expect(r.status == 0)
        for command in ["changer", "drive", "inquiry", "ltfs", "discover", "catalog"] {
            #expect(r.stdout.contains("\n  \(command) "), "missing \(command)")
        }
    }

    @Test(arguments: [["help", "catalog"], ["catalog", "--help"], ["ltfs", "check", "--help"]])
    func companionHelpIsTapelibs(_ arguments: [String]) async throws {
        let r = try await CLI.run(arguments)
        #expect(r.status == 0)
        let command = arguments.filter { $0 != "help" && $0 != "--help" }.joined(separator: " ")
        #expect(r.stdout.contains("USAGE: tapelib \(command)"))
    }

    @Test func discoverRunsThroughTapelib() async throws {
        let status = try await CLI.json(["discover", "--sim", "midsize", "--json"])
        #expect((status["changers"] as? [Any])?.count == 1)
    }

    @Test func companionUsageErrorsKeepTheirExitStatus() async throws {
        let r = try await CLI.run(["catalog", "no-such-command"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("tapelib catalog"))
    }
}
