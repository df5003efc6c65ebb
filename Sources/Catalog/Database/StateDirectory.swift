import Foundation

/// Where tapelib keeps its catalog (architecture.md, "State"): `/var/lib/tapelib` when running
/// as root, `$XDG_STATE_HOME/tapelib` otherwise (`~/.local/state/tapelib` when unset or not
/// absolute, as the XDG base directory spec requires), unless `--state-dir` overrides it.
public enum StateDirectory {
    public static let catalogFileName = "catalog.sqlite"

    public static func resolve(
        override: String?,
        effectiveUserID: UInt32 = geteuid(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let override, !override.isEmpty { return override }
        if effectiveUserID == 0 { return "/var/lib/tapelib" }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return (xdg as NSString).appendingPathComponent("tapelib")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/state/tapelib")
    }

    /// The catalog database file inside a state directory.
    public static func catalogPath(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(catalogFileName)
    }
}
