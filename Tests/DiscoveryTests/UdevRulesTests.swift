import Foundation
import Testing

/// The repository's udev/ directory, found from this file's path.
let udevDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("udev").path
}()

/// One `KEY{attribute}OP"value"` of a udev rule (udev(7)).
struct RuleToken: Equatable {
    var key: String
    var attribute: String?
    var op: String
    var value: String
}

/// A minimal reader of udev rules syntax, strict about what udev(7) allows, used to check
/// tapelib's rules line by line.
enum UdevRulesReader {
    struct Problem: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    /// Logical lines (continuations joined) with their first physical line number.
    static func lines(_ text: String) -> [(number: Int, text: String)] {
        var result: [(Int, String)] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { start = index + 1 }
            var line = String(raw)
            let continued = line.hasSuffix("\\")
            if continued { line.removeLast() }
            pending += line
            if continued { continue }
            let trimmed = pending.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty && !trimmed.hasPrefix("#") { result.append((start, trimmed)) }
            pending = ""
        }
        return result
    }

    static func tokens(_ line: String, number: Int) throws -> [RuleToken] {
        var tokens: [RuleToken] = []
        var rest = Substring(line)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            let key = rest.prefix { $0.isUppercase || $0 == "_" }
            guard !key.isEmpty else { throw Problem(line: number, message: "expected a key at \"\(rest.prefix(20))\"") }
            rest = rest.dropFirst(key.count)
            var attribute: String?
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw Problem(line: number, message: "unclosed { after \(key)") }
                attribute = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            let op = ["==", "!=", "+=", "-=", ":=", "="].first { rest.hasPrefix($0) }
            guard let op else { throw Problem(line: number, message: "expected an operator after \(key)") }
            rest = rest.dropFirst(op.count)
            guard rest.first == "\"" else { throw Problem(line: number, message: "value of \(key) is not quoted") }
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: "\"") else { throw Problem(line: number, message: "unterminated value of \(key)") }
            tokens.append(RuleToken(key: String(key), attribute: attribute, op: op, value: String(rest[..<end])))
            rest = rest[rest.index(after: end)...].drop { $0 == " " || $0 == "\t" }
            if rest.first == "," {
                rest = rest.dropFirst()
                guard !rest.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw Problem(line: number, message: "trailing comma")
                }
            } else if !rest.isEmpty {
                throw Problem(line: number, message: "expected , between keys at \"\(rest.prefix(20))\"")
            }
        }
        return tokens
    }

    static let matchOperators: Set<String> = ["==", "!="]
    static let assignOperators: Set<String> = ["=", "+=", "-=", ":="]
    /// Keys that only match, only assign, or (ENV, TAG) do both, with whether they take {…}.
    static let matchOnly: [String: Bool] = ["ACTION": false, "SUBSYSTEM": false, "SUBSYSTEMS": false, "KERNEL": false,
                                            "KERNELS": false, "DRIVERS": false, "ATTR": true, "ATTRS": true]
    static let assignOnly: [String: Bool] = ["GROUP": false, "MODE": false, "OWNER": false, "SYMLINK": false,
                                             "IMPORT": true, "GOTO": false, "LABEL": false, "OPTIONS": false, "RUN": true]
    static let either: [String: Bool] = ["ENV": true, "TAG": false]

    /// Checks every token's key, attribute and operator; GOTO targets; MODE values.
    static func check(_ text: String) throws -> [(number: Int, tokens: [RuleToken])] {
        let parsed = try lines(text).map { line in (line.number, try tokens(line.text, number: line.number)) }
        let labels = Set(parsed.flatMap(\.1).filter { $0.key == "LABEL" }.map(\.value))
        for (number, tokens) in parsed {
            guard !tokens.isEmpty else { throw Problem(line: number, message: "empty rule") }
            for token in tokens {
                let takesAttribute: Bool
                if let wants = matchOnly[token.key] {
                    guard matchOperators.contains(token.op) else {
                        throw Problem(line: number, message: "\(token.key) can only be matched, not \(token.op)")
                    }
                    takesAttribute = wants
                } else if let wants = assignOnly[token.key] {
                    guard assignOperators.contains(token.op) else {
                        throw Problem(line: number, message: "\(token.key) can only be assigned, not \(token.op)")
                    }
                    takesAttribute = wants
                } else if let wants = either[token.key] {
                    takesAttribute = wants
                } else {
                    throw Problem(line: number, message: "unknown key \(token.key)")
                }
                guard takesAttribute == (token.attribute != nil), token.attribute?.isEmpty != true else {
                    throw Problem(line: number, message: "\(token.key) \(takesAttribute ? "needs" : "takes no") {attribute}")
                }
                if token.key == "GOTO", !labels.contains(token.value) {
                    throw Problem(line: number, message: "GOTO to missing LABEL \(token.value)")
                }
                if token.key == "MODE", token.value.count != 4 || !token.value.allSatisfy({ ("0"..."7").contains($0) }) {
                    throw Problem(line: number, message: "MODE \(token.value) is not four octal digits")
                }
                if token.key == "IMPORT", !["program", "builtin", "file", "db", "cmdline", "parent"].contains(token.attribute ?? "") {
                    throw Problem(line: number, message: "unknown IMPORT type \(token.attribute ?? "")")
                }
            }
        }
        return parsed
    }
}

@Suite("udev rules")
struct UdevRulesTests {
    let rulesPath = udevDirectory + "/61-tapelib.rules"

    @Test("every line's keys and operators are ones udev accepts")
    func syntax() throws {
        let text = try String(contentsOfFile: rulesPath, encoding: .utf8)
        let rules = try UdevRulesReader.check(text)
        #expect(rules.count >= 8)
    }

    @Test("the rules do what tapelib needs: types 1 and 8, tape group 0660, TAPELIB tag, the drive's -sg link")
    func content() throws {
        let rules = try UdevRulesReader.check(try String(contentsOfFile: rulesPath, encoding: .utf8)).map(\.tokens)
        let all = rules.flatMap { $0 }
        #expect(all.contains(RuleToken(key: "SUBSYSTEM", attribute: nil, op: "!=", value: "scsi_generic")))
        #expect(all.contains(RuleToken(key: "ATTRS", attribute: "type", op: "==", value: "1")))
        #expect(all.contains(RuleToken(key: "ATTRS", attribute: "type", op: "==", value: "8")))
        let access = try #require(rules.first { $0.contains { $0.key == "GROUP" } })
        #expect(access.contains(RuleToken(key: "GROUP", attribute: nil, op: "=", value: "tape")))
        #expect(access.contains(RuleToken(key: "MODE", attribute: nil, op: "=", value: "0660")))
        #expect(access.contains(RuleToken(key: "ENV", attribute: "TAPELIB", op: "=", value: "1")))
        let links = all.filter { $0.key == "SYMLINK" }
        #expect(!links.isEmpty && links.allSatisfy { $0.op == "+=" && $0.value.hasPrefix("tape/by-id/scsi-") && $0.value.hasSuffix("-sg") })
        // The link is made for drives only: changers have systemd's "-changer" link.
        for rule in rules where rule.contains(where: { $0.key == "SYMLINK" }) {
            #expect(rule.contains(RuleToken(key: "ENV", attribute: "TAPELIB_KIND", op: "==", value: "drive")))
        }
        // Remove events skip the rules (sysfs attributes are gone by then).
        #expect(rules.first == [RuleToken(key: "ACTION", attribute: nil, op: "==", value: "remove"),
                                RuleToken(key: "GOTO", attribute: nil, op: "=", value: "tapelib_end")])
    }

    @Test("the checker rejects broken rules", arguments: [
        "SUBSYSTEM=\"block\"", "GROUP==\"tape\"", "ATTRS==\"1\"", "FOO=\"1\"", "MODE=\"660\"",
        "GOTO=\"nowhere\"", "ENV{X}=\"1\",", "KERNEL==sd*", "IMPORT{bogus}=\"x\"",
    ])
    func rejectsBrokenRules(_ rule: String) {
        #expect(throws: UdevRulesReader.Problem.self) { try UdevRulesReader.check(rule) }
    }

    /// `udevadm test` loads every rules file and names any line it cannot parse. The rules are
    /// put in /etc/udev/rules.d inside a private mount namespace (a tmpfs over the directory),
    /// so the host's configuration is not touched.
    private func udevadmComplaints(about rules: String, name: String) throws -> [String]? {
        guard isRoot, let udevadm = Command.find("udevadm"), let unshare = Command.find("unshare"),
              FileManager.default.fileExists(atPath: "/etc/udev/rules.d"),
              let device = try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/block").sorted().first
        else { return nil }
        let directory = try TemporaryDirectory("udevadm")
        defer { directory.remove() }
        try rules.write(toFile: directory.path + "/" + name, atomically: true, encoding: .utf8)
        let script = "mount -t tmpfs tapelib-test /etc/udev/rules.d && cp '\(directory.path)/\(name)' /etc/udev/rules.d/ "
            + "&& '\(udevadm)' test --action=add /sys/class/block/\(device) 2>&1"
        let output = try Command.run(unshare, ["--mount", "--propagation", "private", "sh", "-c", script])
        guard output.stdout.contains("Reading rules file: /etc/udev/rules.d/\(name)") else { return nil }
        return output.stdout.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("/etc/udev/rules.d/\(name)") }
    }

    static let udevadmUsable = isRoot && Command.find("udevadm") != nil && Command.find("unshare") != nil
        && FileManager.default.fileExists(atPath: "/etc/udev/rules.d")

    @Test("udevadm test reads the rules without complaint",
          .enabled(if: udevadmUsable, "needs root, udevadm, unshare and /etc/udev/rules.d"))
    func udevadmAccepts() throws {
        let rules = try String(contentsOfFile: rulesPath, encoding: .utf8)
        let complaints = try #require(try udevadmComplaints(about: rules, name: "61-tapelib.rules"),
                                      "udevadm test cannot run here")
        #expect(complaints.isEmpty, "\(complaints)")
        // The same check flags a broken copy, so an empty list above means something.
        let broken = try #require(try udevadmComplaints(about: rules + "\nSUBSYSTEM=\"oops\"\n", name: "61-tapelib.rules"))
        #expect(!broken.isEmpty)
    }
}
