import Catalog
import Foundation

/// The library policies of the global configuration (api.md "Global configuration keys"; the
/// seed's key names, typos included), read when the engine starts serving.
public struct LibraryPolicies: Sendable, Equatable {
    /// `unload_tape_cartridges_whes_media_server_starts`: every drive holding a cartridge is
    /// unloaded (to the cartridge's source slot, or a free one) before any other task runs.
    public var unloadAtStart: Bool

    public init(unloadAtStart: Bool = true) {
        self.unloadAtStart = unloadAtStart
    }

    /// From the global configuration; a missing key keeps the seed's default, and a value that
    /// is neither yes nor no is refused with the key's name.
    public init(configuration: [String: String]) throws(LibraryServiceError) {
        self.init()
        unloadAtStart = try Self.flag(configuration, "unload_tape_cartridges_whes_media_server_starts",
                                      default: unloadAtStart)
    }

    static func flag(_ configuration: [String: String], _ key: String, default value: Bool) throws(LibraryServiceError)
        -> Bool {
        guard let text = configuration[key] else { return value }
        switch text.lowercased() {
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw .invalidTask("global configuration \(key) is \"\(text)\"; expected yes or no")
        }
    }
}
