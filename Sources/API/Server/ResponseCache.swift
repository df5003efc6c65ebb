import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Answers of catalog-only GET routes (`Route.cacheable`), kept while the catalog has not changed:
/// an entry is stored with the catalog's change number read *before* its handler ran and served
/// only while the current number is still that one, so any commit in between (this process's, at
/// once; another process's, within the poll interval of `CatalogChanges`) makes it a miss. The
/// key is the caller's user id with the method and the whole request URI, so callers never see
/// each other's answers (a maintainer's view differs from a superuser's). Bounded in bytes: the
/// cache empties itself rather than grow past `byteLimit`.
final class ResponseCache: Sendable {
    struct Entry: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    let byteLimit: Int

    init(byteLimit: Int = 64 << 20) { self.byteLimit = byteLimit }

    static func key(user: Int64, request: Request) -> String {
        "\(user) \(request.method.rawValue) \(request.uri.description)"
    }

    func lookup(_ key: String, generation: UInt64) -> Response? {
        let entry: Entry? = state.withLock { state in
            guard state.generation == generation else { return nil }
            return state.entries[key]
        }
        guard let entry else { return nil }
        return Response(status: entry.status, headers: entry.headers, body: .init(byteBuffer: entry.body))
    }

    /// Stores `response` (a 200) read at `generation`, and gives back an equal response to send.
    func store(_ key: String, generation: UInt64, response: Response) async throws -> Response {
        guard response.status == .ok else { return response }
        let collector = BodyCollector()
        var response = response
        try await response.body.write(collector)
        let body = collector.buffer
        let entry = Entry(status: response.status, headers: response.headers, body: body)
        state.withLock { state in
            if generation > state.generation {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
                state.generation = generation
            }
            guard generation == state.generation, body.readableBytes <= byteLimit / 16 else { return }
            if state.bytes + body.readableBytes > byteLimit {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            if let old = state.entries.updateValue(entry, forKey: key) { state.bytes -= old.body.readableBytes }
            state.bytes += body.readableBytes
        }
        return Response(status: entry.status, headers: entry.headers, body: .init(byteBuffer: body))
    }

    var count: Int { state.withLock { $0.entries.count } }
}

/// Collects a response body written by its handler (one buffer for the API's JSON answers).
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    // Written only by the single `write(_:)` call chain of one response body, then read once.
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Verified access tokens with their caller, kept while the catalog has not changed (a logout's
/// revocation, a deleted user or a changed role are catalog commits) and until the token expires.
final class TokenCache: Sendable {
    struct Entry: Sendable {
        var claims: TokenClaims
        var identity: Identity
        var expires: Date
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    private let state = Mutex(State())
    static let maximumEntries = 10_000

    func lookup(_ token: String, generation: UInt64, now: Date = Date()) -> Entry? {
        state.withLock { state in
            guard state.generation == generation, let entry = state.entries[token], entry.expires > now else { return nil }
            return entry
        }
    }

    func store(_ token: String, generation: UInt64, entry: Entry) {
        state.withLock { state in
            if generation > state.generation {
                state.entries.removeAll(keepingCapacity: true)
                state.generation = generation
            }
            guard generation == state.generation else { return }
            if state.entries.count >= Self.maximumEntries { state.entries.removeAll(keepingCapacity: true) }
            state.entries[token] = entry
        }
    }
}
