import API
import ArgumentParser
import CLISupport
import Catalog
import Foundation

/// `tapelib user add|passwd|list`: the REST API's users, managed offline in the catalog.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the REST API's users offline (add, passwd, list).",
        subcommands: [Add.self, Passwd.self, List.self])

    /// The password from --password-file, else standard input's first line (never a flag: flags
    /// end up in shell history and `ps`).
    static func readPassword(file: String?) throws -> String {
        let text: String
        if let file {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } else {
            guard let line = readLine(strippingNewline: true) else { throw CommandFailure("no password on standard input") }
            text = line
        }
        let password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard (8...128).contains(password.count) else { throw CommandFailure("a password has 8 to 128 characters") }
        return password
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; the password is read from standard input or --password-file.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Argument(help: "User name.") var name: String
        @Option(name: .long, parsing: .upToNextOption, help: "Roles: superuser, administrator, supervisor, maintainer.")
        var role: [String] = ["supervisor"]
        @Option(name: .customLong("media-server"), help: "A maintainer's media server id.") var mediaServer: Int64?
        @Option(name: .customLong("password-file"), help: "Read the password from this file's first line.") var passwordFile: String?

        func run() async throws {
            try await reportingFailures {
                guard role.allSatisfy({ Role(rawValue: $0) != nil }) else {
                    throw CommandFailure("roles are superuser, administrator, supervisor, maintainer")
                }
                if role == ["maintainer"] && mediaServer == nil { throw CommandFailure("a maintainer needs --media-server") }
                let database = try await catalog.open()
                if try await database.user(named: name) != nil { throw CommandFailure("user \(name) exists") }
                let password = try UserCommand.readPassword(file: passwordFile)
                let hash = try await Accounts.hash(password)
                _ = try await database.insert(User(name: name, passwordHash: hash, mediaServerId: mediaServer), roles: role)
                print("added user \(name) (\(role.joined(separator: ", ")))")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (read from standard input or --password-file); unlocks it.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Argument(help: "User name.") var name: String
        @Option(name: .customLong("password-file"), help: "Read the password from this file's first line.") var passwordFile: String?

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let user = try await database.user(named: name), let id = user.id else { throw CommandFailure("no user \(name)") }
                let password = try UserCommand.readPassword(file: passwordFile)
                try await database.updateUser(id, passwordHash: try await Accounts.hash(password))
                print("password of \(name) changed")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users and their roles.")
        @OptionGroup var catalog: TaskCommand.Catalog

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                for (user, roles) in try await database.users() {
                    let locked = user.lockedUntil.map { $0 > Date() ? "  locked until \($0)" : "" } ?? ""
                    print("\(user.id ?? 0)\t\(user.name)\t\(roles.joined(separator: ","))\(user.mediaServerId.map { "\tmedia server \($0)" } ?? "")\(locked)")
                }
            }
        }
    }
}
