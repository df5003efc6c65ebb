import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

/// The login body, as the seed shows it (not wrapped in `data`).
struct LoginRequest: Decodable, Sendable, StrictFields {
    var rubackupDatabase: String?
    var rubackupUser: String
    var password: String
    enum CodingKeys: String, CodingKey {
        case rubackupDatabase = "rubackup_database", rubackupUser = "rubackup_user", password
    }
    static let allowedFields: [String: Set<String>] = ["": ["rubackup_database", "rubackup_user", "password"]]
}

struct LoginAnswer: Encodable, Sendable {
    var accessToken: String
    var refreshToken: String
    var csrfToken: String
    var role: [String]
    var userName: String
    var lastSuccessLogin: Date?
    var lastFailLogin: Date?
    var packageVersion: String
    var rubackupServerAddress: String
}

struct TokenAnswer: Encodable, Sendable {
    var accessToken: String
    var refreshToken: String
    var csrfToken: String
}

struct ServerHello: Encodable, Sendable {
    var name = "tapelib"
    var version: String
}

enum TapelibVersion {
    static let current = "0.11.0"
}

extension RouteTable {
    static func authRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .post, path: "/api/v1/auth/login", access: .open) { call in
                let body = try call.decode(LoginRequest.self)
                guard !body.rubackupUser.isEmpty, body.rubackupUser.count <= 255 else {
                    throw APIError(.invalidRequest, "rubackup_user must be 1…255 characters", fields: ["rubackup_user": "1…255 characters"])
                }
                guard body.password.count <= 1_024 else {
                    throw APIError(.invalidRequest, "password is too long", fields: ["password": "at most 1024 characters"])
                }
                let loggedIn = try await state.accounts.login(name: body.rubackupUser, password: body.password)
                guard let id = loggedIn.user.id else { throw APIError(.internal, "user without id") }
                let pair = try await state.tokens.issue(userID: id, name: loggedIn.user.name)
                let answer = LoginAnswer(accessToken: pair.access, refreshToken: pair.refresh, csrfToken: pair.csrf,
                                         role: loggedIn.roles, userName: loggedIn.user.name,
                                         lastSuccessLogin: loggedIn.user.lastSuccessLogin, lastFailLogin: loggedIn.user.lastFailedLogin,
                                         packageVersion: TapelibVersion.current, rubackupServerAddress: state.server.hostname)
                return try .envelope(answer, headers: cookies(pair, state: state))
            },
            Route(method: .post, path: "/api/v1/auth/refresh", access: .tokenOnly) { call in
                guard let refresh = bearer(call.request) ?? cookie(call.request, "refresh_token_cookie") else {
                    throw APIError(.unauthenticated, "no refresh token: send Authorization: Bearer <refresh_token> (or the refresh_token_cookie)")
                }
                let claims = try await state.tokens.verify(refresh, kind: .refresh)
                guard let id = claims.userID, try await coded({ try await state.catalog.user(id: id) }) != nil else {
                    throw APIError(.unauthenticated, "the token's user no longer exists")
                }
                // The refresh token is used up; the old access token, when sent, is revoked too.
                try await coded { try await state.tokens.revoke(refresh) }
                if let access = bearer(call.request, header: HTTPField.Name("Authorization-Access-Token")!)
                    ?? cookie(call.request, "access_token_cookie") {
                    try await coded { try await state.tokens.revoke(access) }
                }
                let pair = try await state.tokens.issue(userID: id, name: claims.name, session: claims.sid)
                return try .envelope(TokenAnswer(accessToken: pair.access, refreshToken: pair.refresh, csrfToken: pair.csrf),
                                     headers: cookies(pair, state: state))
            },
            Route(method: .delete, path: "/api/v1/auth/logout", access: .tokenOnly) { call in
                let presented = [bearer(call.request), bearer(call.request, header: HTTPField.Name("Authorization-Access-Token")!),
                                 cookie(call.request, "access_token_cookie"), cookie(call.request, "refresh_token_cookie")].compactMap { $0 }
                guard !presented.isEmpty else { throw APIError(.unauthenticated, "no token to revoke") }
                // The login session of every token presented (header and cookies) ends: its
                // tokens, those presented and the others, are refused from now on, on every node.
                var verified = 0
                for token in presented {
                    let asAccess = try? await state.tokens.verify(token, kind: .access)
                    let asRefresh = asAccess == nil ? try? await state.tokens.verify(token, kind: .refresh) : nil
                    if asAccess != nil || asRefresh != nil {
                        verified += 1
                        try await coded { try await state.tokens.revoke(token, session: true) }
                    }
                }
                guard verified > 0 else { throw APIError(.unauthenticated, "the token is invalid, expired or already revoked") }
                var headers = HTTPFields()
                for name in ["access_token_cookie", "refresh_token_cookie"] {
                    headers.append(HTTPField(name: .setCookie, value: "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"))
                }
                return try .envelope(NoData?.none, message: "Authentication data has been revoked", headers: headers)
            },
        ]
    }

    /// The HttpOnly cookies of a token pair (Secure under HTTPS).
    static func cookies(_ pair: TokenService.Pair, state: APIState) -> HTTPFields {
        var headers = HTTPFields()
        let secure = state.configuration.usesTLS ? "; Secure" : ""
        headers.append(HTTPField(name: .setCookie, value: "access_token_cookie=\(pair.access); Path=/; Max-Age=\(Int(TokenService.accessLifetime)); HttpOnly; SameSite=Strict\(secure)"))
        headers.append(HTTPField(name: .setCookie, value: "refresh_token_cookie=\(pair.refresh); Path=/api/v1/auth; Max-Age=\(Int(TokenService.refreshLifetime)); HttpOnly; SameSite=Strict\(secure)"))
        return headers
    }

    /// The files served as they are: the OpenAPI document, its docs page, and the web page (one
    /// document, its module and its styles; everything else the page shows comes from this API,
    /// with the caller's session).
    static let assetRoutes: [(path: String, file: String, contentType: String)] = [
        ("/api/v1/openapi.json", "openapi.json", "application/json; charset=utf-8"),
        ("/api/v1/docs", "docs.html", "text/html; charset=utf-8"),
        ("/api/v1/docs/docs.js", "docs.js", "text/javascript; charset=utf-8"),
        ("/api/v1/docs/docs.css", "docs.css", "text/css; charset=utf-8"),
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/ui/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "app.css", "text/css; charset=utf-8"),
    ]

    static func serviceRoutes(_ state: APIState) -> [Route] {
        assetRoutes.map { asset in
            Route(method: .get, path: asset.path, access: .open) { _ in
                try state.assets.response(asset.file, contentType: asset.contentType)
            }
        } + [
            Route(method: .get, path: "/api/v1/server_hello", access: .open) { _ in
                try .envelope(ServerHello(version: TapelibVersion.current))
            },
            Route(method: .get, path: "/metrics", access: .metrics) { _ in
                let text = await state.metrics.exposition(catalog: state.catalog)
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(string: text)))
            },
        ]
    }
}

/// The OpenAPI document and the docs page, shipped as resources of the module and read once at
/// start-up (off the cooperative pool), so answering them reads no file.
struct StaticAssets: Sendable {
    var files: [String: Data]

    static func load() async throws -> StaticAssets {
        try await offPool {
            var files: [String: Data] = [:]
            for name in RouteTable.assetRoutes.map(\.file) {
                let parts = name.split(separator: ".").map(String.init)
                guard let url = Bundle.module.url(forResource: "Resources/\(parts[0])", withExtension: parts[1])
                        ?? Bundle.module.url(forResource: parts[0], withExtension: parts[1]) else { continue }
                files[name] = try Data(contentsOf: url)
            }
            return StaticAssets(files: files)
        }
    }

    func response(_ name: String, contentType: String) throws(APIError) -> Response {
        guard let data = files[name] else { throw APIError(.notFound, "\(name) is missing from the installation") }
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: data)))
    }
}
