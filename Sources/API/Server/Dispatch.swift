import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService
import Logging
import NIOCore

extension RouteTable {
    /// Checks the caller (token, CSRF, role), collects the body within the limit and runs the handler.
    static func respond(_ route: Route, request: Request, context: APIContext, state: APIState) async throws -> Response {
        context.caller.route = route.path
        var identity: Identity?
        switch route.access {
        case .open, .tokenOnly:
            break
        case .metrics:
            if !context.peerIsLoopback {
                guard let expected = state.configuration.metricsToken, let presented = bearer(request),
                      TokenService.constantTimeEquals(presented, expected) else {
                    throw APIError(.unauthenticated, "/metrics answers loopback clients, or the configured bearer token")
                }
            }
        case .roles(let allowed):
            guard let token = bearer(request) ?? cookie(request, "access_token_cookie") else {
                throw APIError(.unauthenticated, "no access token: send Authorization: Bearer <access_token> (or the access_token_cookie)")
            }
            // A token verified since the catalog last changed, still unexpired, needs neither its
            // signature checked again nor its revocation, user and roles read again.
            let generation = state.catalog.changes.current
            let claims: TokenClaims
            let caller: Identity
            if let cached = state.tokenCache.lookup(token, generation: generation) {
                claims = cached.claims
                caller = cached.identity
                try checkCSRF(request, claims: claims, state: state)
            } else {
                claims = try await state.tokens.verify(token, kind: .access)
                try checkCSRF(request, claims: claims, state: state)
                caller = try await loadIdentity(claims, state: state)
                state.tokenCache.store(token, generation: generation,
                                       entry: TokenCache.Entry(claims: claims, identity: caller, expires: claims.exp.value))
            }
            identity = caller
            context.caller.identity = caller
            guard caller.has(anyOf: allowed) else {
                state.logger.warning("refused \(request.method) \(request.uri.path) to user \(claims.name): role not allowed")
                throw APIError(.forbidden, "this operation needs one of the roles \(allowed.sorted().map(\.rawValue).joined(separator: ", "))")
            }
        }
        if route.cacheable, let cache = state.responseCache, let identity, request.method == .get {
            let key = ResponseCache.key(user: identity.userID, request: request)
            let generation = state.catalog.changes.current
            if let hit = cache.lookup(key, generation: generation) {
                state.metrics.responseCache(hit: true)
                return hit
            }
            state.metrics.responseCache(hit: false)
            let call = Call(request: request, body: ByteBuffer(), identity: identity, parameters: context.parameters,
                            peerIsLoopback: context.peerIsLoopback)
            return try await cache.store(key, generation: generation, response: try await route.handler(call))
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: state.configuration.bodyLimit)
        } catch is NIOTooManyBytesError {
            throw APIError(.payloadTooLarge, "the body is larger than \(state.configuration.bodyLimit) bytes")
        }
        let call = Call(request: request, body: body, identity: identity, parameters: context.parameters,
                        peerIsLoopback: context.peerIsLoopback)
        return try await route.handler(call)
    }

    static let csrfHeader = HTTPField.Name("X-CSRF-TOKEN")!

    static func checkCSRF(_ request: Request, claims: TokenClaims, state: APIState) throws(APIError) {
        guard let presented = request.headers[csrfHeader], state.tokens.csrfMatches(presented, claims: claims) else {
            throw APIError(.forbidden, "missing or wrong X-CSRF-TOKEN header (the csrf_token of the login answer)")
        }
    }

    static func bearer(_ request: Request, header: HTTPField.Name = .authorization) -> String? {
        guard let value = request.headers[header] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        request.cookies[name]?.value
    }

    static func loadIdentity(_ claims: TokenClaims, state: APIState) async throws(APIError) -> Identity {
        guard let id = claims.userID else { throw APIError(.unauthenticated, "the token names no user") }
        do {
            guard let user = try await state.catalog.user(id: id) else {
                throw APIError(.unauthenticated, "the token's user no longer exists")
            }
            let roles = try await state.catalog.roles(ofUser: id).compactMap(Role.init(rawValue:))
            return Identity(userID: id, name: user.name, roles: Set(roles), mediaServerID: user.mediaServerId)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(ServiceError(error))
        }
    }
}

/// The outermost middleware: turns every error (the routes', the framework's 404 and 413) into
/// the envelope with its status, answers 405 for a known path with another method, writes one
/// access-log line per request and counts it for /metrics.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let state: APIState
    let table: [Route]
    let log = Logger(label: "tapelib.api.access")

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = failure(for: error, request: request)
        }
        let elapsed = ContinuousClock.now - started
        // Unmatched paths share one label, so that probing clients cannot grow the metrics without bound.
        let route = context.caller.route ?? "unmatched"
        state.metrics.request(method: request.method.rawValue, route: route, status: Int(response.status.code), duration: elapsed)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        log.info("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", seconds * 1000)) ms user=\(context.caller.identity?.name ?? "-")")
        return response
    }

    func failure(for error: any Error, request: Request) -> Response {
        switch error {
        case let api as APIError:
            return .failure(api)
        case let service as ServiceError:
            return .failure(APIError(service))
        case let http as HTTPError:
            if http.status == .notFound {
                let path = request.uri.path
                let methods = table.filter { $0.matches(path: path) }.map(\.method.rawValue)
                if !methods.isEmpty {
                    var headers = HTTPFields()
                    headers[.allow] = Array(Set(methods)).sorted().joined(separator: ", ")
                    return .failure(APIError(.methodNotAllowed, "\(request.method) is not allowed on \(path); allowed: \(headers[.allow] ?? "")"),
                                    headers: headers)
                }
                return .failure(APIError(.notFound, "no such resource: \(path)"))
            }
            if http.status == .contentTooLarge {
                return .failure(APIError(.payloadTooLarge, "the body is larger than \(state.configuration.bodyLimit) bytes"))
            }
            let code: ServiceErrorCode = http.status.code < 500 ? .invalidRequest : .internal
            return .failure(APIError(code, http.body ?? http.status.reasonPhrase))
        case is NIOTooManyBytesError:
            return .failure(APIError(.payloadTooLarge, "the body is larger than \(state.configuration.bodyLimit) bytes"))
        case let decoding as DecodingError:
            return .failure(.decoding(decoding))
        default:
            let coded = ServiceError(error)
            if coded.code == .internal {
                state.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            }
            return .failure(APIError(coded))
        }
    }
}
