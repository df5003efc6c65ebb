import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibraryService
import Testing
@testable import API

/// The response and token caches (ResponseCache, TokenCache): an answer is served again only
/// while the catalog is unchanged, whoever changed it.
@Suite struct APICacheTests {
    static func description(_ answer: Answer) -> String? {
        ((answer.data as? [[String: Any]])?.first)?["description"] as? String
    }

    @Test("a cached page is served again until this process changes the catalog; then the new data is answered")
    func inProcessWriteInvalidates() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        let cache = try #require(harness.state.responseCache)
        try await harness.test { client in
            let session = try await client.login()
            let uri = "/api/v1/tape_cartridges?limit=1&sort=id"
            let first = try await client.call(.get, uri, session: session)
            #expect(first.status == 200)
            let id = try #require(((first.data as? [[String: Any]])?.first)?["id"] as? Int)
            #expect(cache.count == 1)
            // Served from the cache: a second call answers the same bytes.
            let again = try await client.call(.get, uri, session: session)
            #expect(Self.description(again) == Self.description(first))
            _ = try await harness.catalog.updateCartridge(Int64(id), volumeTag: nil, description: "changed in process")
            let after = try await client.call(.get, uri, session: session)
            #expect(Self.description(after) == "changed in process")
            // Through the API too (a PATCH is a catalog write like any other).
            let patched = try await client.call(.patch, "/api/v1/tape_cartridges/\(id)", session: session,
                                                json: #"{"data": {"description": "changed through the API"}}"#)
            #expect(patched.status == 200, "\(patched.message)")
            #expect(Self.description(try await client.call(.get, uri, session: session)) == "changed through the API")
        }
    }

    @Test("another process's commit to the catalog file is seen through data_version, and the cached page is dropped")
    func externalWriteInvalidates() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        let poll = Task { await harness.catalog.followExternalCommits(pollInterval: .milliseconds(20)) }
        defer { poll.cancel() }
        try await harness.test { client in
            let session = try await client.login()
            let uri = "/api/v1/tape_cartridges?limit=1&sort=id"
            let first = try await client.call(.get, uri, session: session)
            let id = try #require(((first.data as? [[String: Any]])?.first)?["id"] as? Int)
            // A second connection to the same file, as `tapelib` commands open it beside `serve`.
            let other = try CatalogDatabase(path: StateDirectory.catalogPath(in: harness.directory))
            _ = try await other.updateCartridge(Int64(id), volumeTag: nil, description: "changed by another process")
            // Waits for the event (the poll seeing the commit), with a generous bound.
            let deadline = ContinuousClock.now + .seconds(60)
            var seen: String?
            while ContinuousClock.now < deadline {
                seen = Self.description(try await client.call(.get, uri, session: session))
                if seen == "changed by another process" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(seen == "changed by another process")
        }
    }

    @Test("callers never share answers, and a cached token stops working when its user is deleted")
    func perCallerAndTokenInvalidation() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.addUser("watcher", roles: [.supervisor])
        let cache = try #require(harness.state.responseCache)
        try await harness.test { client in
            let admin = try await client.login()
            let watcher = try await client.login("watcher")
            let uri = "/api/v1/tape_libraries"
            #expect(try await client.call(.get, uri, session: admin).status == 200)
            #expect(try await client.call(.get, uri, session: watcher).status == 200)
            #expect(cache.count == 2)
            let users = try #require(try await client.call(.get, "/api/v1/users", session: admin).data as? [[String: Any]])
            let watcherID = try #require(users.first { $0["name"] as? String == "watcher" }?["id"] as? Int)
            let deleted = try await client.call(.delete, "/api/v1/users/\(watcherID)", session: admin)
            #expect(deleted.status == 200, "\(deleted.message)")
            let refused = try await client.call(.get, uri, session: watcher)
            #expect(refused.status == 401)
            #expect(try await client.call(.get, uri, session: admin).status == 200)
        }
    }
}
