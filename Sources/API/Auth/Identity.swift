import Foundation

/// The seed's roles.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case superuser, administrator, supervisor, maintainer

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a).map { i in allCases.firstIndex(of: b).map { i < $0 } ?? false } ?? false
    }
}

/// Who sent a request: the access token's user, with roles read from the catalog at login.
public struct Identity: Sendable, Equatable {
    public var userID: Int64
    public var name: String
    public var roles: Set<Role>
    /// A maintainer's media server: it acts only on that server's libraries.
    public var mediaServerID: Int64?

    /// Whether any of `allowed` is among the identity's roles.
    func has(anyOf allowed: Set<Role>) -> Bool { !roles.isDisjoint(with: allowed) }

    /// A maintainer (and no wider role) acts only on its own media server's hardware.
    var isConfinedToMediaServer: Bool { roles.isDisjoint(with: [.superuser, .administrator, .supervisor]) }
}
