import Catalog
import Crypto
import Foundation
import JWTKit
import LibraryService

/// A token's claims: HS256, with `jti` (revocation), `type` (access or refresh) and `sid`, the
/// login session the token belongs to (kept by refreshes; the session's CSRF token is derived from it).
struct TokenClaims: JWTPayload, Equatable {
    enum Kind: String, Codable, Sendable { case access, refresh }

    var sub: SubjectClaim
    var jti: IDClaim
    var type: Kind
    var sid: String
    var name: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }

    var userID: Int64? { Int64(sub.value) }
}

/// Issues and checks the API's tokens: access (15 min) and refresh (24 h) JWTs signed with the
/// catalog's key (`CatalogStore.apiSecret`, made by the first node that serves the API, so a
/// token is good on every media server of a shared catalog), and each login session's CSRF token,
/// an HMAC of the session's id under a key derived from it: the same on every node, for as long
/// as the session is refreshed, and nothing to store. Revocations (logout: a token, and its
/// whole session) are kept in the catalog too.
public struct TokenService: Sendable {
    public static let accessLifetime: TimeInterval = 15 * 60
    public static let refreshLifetime: TimeInterval = 24 * 60 * 60
    static let signingKeyName = "jwt_signing_key"

    let keys: JWTKeyCollection
    let csrfKey: SymmetricKey
    let catalog: TapeCatalog

    init(signingKey: [UInt8], catalog: TapeCatalog) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: signingKey), digestAlgorithm: .sha256)
        self.keys = keys
        // A key of its own for the CSRF tokens, derived from the signing key (HKDF, labelled).
        self.csrfKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: signingKey),
                                              info: Data("tapelib CSRF token key".utf8), outputByteCount: 32)
        self.catalog = catalog
    }

    /// The catalog's signing key: 64 random bytes (base64) made by the first node to ask.
    static func signingKey(catalog: TapeCatalog) async throws(ServiceError) -> [UInt8] {
        let proposed = Data(randomBytes(64)).base64EncodedString()
        let stored: String
        do {
            stored = try await catalog.apiSecret(signingKeyName, proposed: proposed)
        } catch {
            throw ServiceError(error)
        }
        guard let bytes = Data(base64Encoded: stored), bytes.count >= 32 else {
            throw ServiceError(.internal, "the catalog's \(signingKeyName) (api_secrets) is not 32 or more bytes in base64")
        }
        return [UInt8](bytes)
    }

    static func randomToken() -> String { hex(randomBytes(32)) }

    static func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: .min ... .max) } }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    struct Pair: Sendable {
        var access: String
        var refresh: String
        /// The session's CSRF token.
        var csrf: String
        var accessExpires: Date
        var refreshExpires: Date
    }

    /// A new pair for login session `session` (nil: a new session, at login).
    func issue(userID: Int64, name: String, session: String? = nil, now: Date = Date()) async throws -> Pair {
        let session = session ?? UUID().uuidString
        let accessExpires = now.addingTimeInterval(Self.accessLifetime)
        let refreshExpires = now.addingTimeInterval(Self.refreshLifetime)
        let access = TokenClaims(sub: .init(value: String(userID)), jti: .init(value: UUID().uuidString), type: .access,
                                 sid: session, name: name, iat: .init(value: now), exp: .init(value: accessExpires))
        var refresh = access
        refresh.type = .refresh
        refresh.jti = .init(value: UUID().uuidString)
        refresh.exp = .init(value: refreshExpires)
        return Pair(access: try await keys.sign(access), refresh: try await keys.sign(refresh), csrf: csrfToken(session: session),
                    accessExpires: accessExpires, refreshExpires: refreshExpires)
    }

    /// The claims of a valid, unexpired, unrevoked token of `kind`, else a 401 error.
    func verify(_ token: String, kind: TokenClaims.Kind) async throws(APIError) -> TokenClaims {
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw APIError(.unauthenticated, "the \(kind.rawValue) token is invalid or expired")
        }
        guard claims.type == kind else {
            throw APIError(.unauthenticated, "a \(claims.type.rawValue) token was given where a \(kind.rawValue) token is needed")
        }
        let revoked: Bool
        do {
            revoked = try await catalog.isAnyTokenRevoked([claims.jti.value, Self.sessionRevocation(claims.sid)])
        } catch {
            throw APIError(ServiceError(error))
        }
        if revoked { throw APIError(.unauthenticated, "the \(kind.rawValue) token has been revoked") }
        return claims
    }

    /// Revokes a token until its own expiry (a refresh uses its refresh token up); with
    /// `session`, its whole login session too (a logout): every token of it, whichever was
    /// presented, refused on every node. A token that does not verify is ignored.
    func revoke(_ token: String, session: Bool = false, now: Date = Date()) async throws {
        guard let claims = try? await keys.verify(token, as: TokenClaims.self) else { return }
        try await catalog.revokeToken(claims.jti.value, expiresAt: claims.exp.value)
        // Every token of the session was issued by now, so none outlives a refresh token's life from now.
        if session { try await catalog.revokeToken(Self.sessionRevocation(claims.sid), expiresAt: now.addingTimeInterval(Self.refreshLifetime)) }
    }

    /// A session's entry among the revoked tokens (token ids are UUIDs, so the two never meet).
    static func sessionRevocation(_ sid: String) -> String { "session:" + sid }

    /// The CSRF token of login session `session`: HMAC-SHA256 of its id under a key derived from
    /// the signing key, in hex.
    func csrfToken(session: String) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data("tapelib-csrf:\(session)".utf8), using: csrfKey))
    }

    /// Whether a presented CSRF token is the one of the token's session (constant time).
    func csrfMatches(_ presented: String, claims: TokenClaims) -> Bool {
        Self.constantTimeEquals(presented, csrfToken(session: claims.sid))
    }

    /// Compares secrets without an early exit on the first differing byte.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Files that hold secrets: created once with mode 0600, never overwritten.
enum SecretFile {
    /// Writes `contents` to `path` unless the file exists (O_EXCL); the mode is 0600 from the start.
    /// True when this call created the file, false when it existed.
    @discardableResult
    static func createOnce(path: String, contents: Data) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw ServiceError(.internal, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == contents.count else {
            throw ServiceError(.internal, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return true
    }
}
