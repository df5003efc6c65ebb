import Foundation
import Testing
@testable import Catalog

/// Media servers joining a catalog: the first by starting, later ones by authorisation.
@Suite struct AdmissionTests {
    @Test(arguments: QueueStore.allCases) func theFirstMediaServerJoinsAndALaterOneWaitsUntilAuthorised(_ store: QueueStore) async throws {
        let catalog = try await StoreFixture.empty(store)
        let first = try await catalog.admitMediaServer(hostname: "media-a", hwid: "hw-a")
        guard case .admitted(let firstID, first: true) = first else { Issue.record("\(first)"); return }
        // It is known the next time it starts.
        #expect(try await catalog.admitMediaServer(hostname: "media-a", hwid: "hw-a") == .admitted(id: firstID, first: false))

        let asked = Date(timeIntervalSince1970: 1_800_000_000)
        let waiting = try await catalog.admitMediaServer(hostname: "media-b", hwid: "hw-b", now: asked)
        guard case .waiting(let request) = waiting else { Issue.record("\(waiting)"); return }
        #expect(request.hostname == "media-b")
        #expect(try await catalog.mediaServer(hostname: "media-b") == nil)
        // Asking again keeps one request, seen later.
        let again = try await catalog.admitMediaServer(hostname: "media-b", hwid: "hw-b2", now: asked.addingTimeInterval(60))
        guard case .waiting(let second) = again else { Issue.record("\(again)"); return }
        #expect(second.id == request.id)
        #expect(second.firstSeenAt == asked)
        #expect(second.lastSeenAt == asked.addingTimeInterval(60))
        #expect(try await catalog.listUnauthorisedMediaServers(ListQuery()).total == 1)

        let server = try await catalog.authoriseMediaServer(hostname: "media-b")
        #expect(server.hostname == "media-b")
        #expect(server.hwid == "hw-b2")
        #expect(try await catalog.listUnauthorisedMediaServers(ListQuery()).total == 0)
        guard case .admitted(let id, first: false) = try await catalog.admitMediaServer(hostname: "media-b", hwid: "hw-b2") else {
            Issue.record("media-b is not admitted after its authorisation"); return
        }
        #expect(id == server.id)
        // Nothing waits under that name any more.
        await #expect(throws: CatalogError.self) { _ = try await catalog.authoriseMediaServer(hostname: "media-b") }
    }

    @Test(arguments: QueueStore.allCases) func aRequestCanBeDeletedAndUnknownOnesAreNotFound(_ store: QueueStore) async throws {
        let catalog = try await StoreFixture.empty(store)
        _ = try await catalog.admitMediaServer(hostname: "media-a", hwid: "hw-a")
        guard case .waiting(let request) = try await catalog.admitMediaServer(hostname: "media-b", hwid: "hw-b") else {
            Issue.record("media-b was admitted without authorisation"); return
        }
        let id = try #require(request.id)
        #expect(try await catalog.unauthorisedMediaServer(id: id)?.hostname == "media-b")
        try await catalog.deleteUnauthorisedMediaServer(id: id)
        #expect(try await catalog.unauthorisedMediaServer(id: id) == nil)
        do {
            try await catalog.deleteUnauthorisedMediaServer(id: id)
            Issue.record("a deleted request was deleted again")
        } catch {
            guard case .notFound = error else { Issue.record("unexpected \(error)"); return }
        }
        do {
            _ = try await catalog.authoriseMediaServer(hostname: "media-b")
            Issue.record("a deleted request was authorised")
        } catch {
            guard case .notFound = error else { Issue.record("unexpected \(error)"); return }
        }
        // A filtered list speaks the filter language like every list.
        _ = try await catalog.admitMediaServer(hostname: "media-c", hwid: "hw-c")
        let page = try await catalog.listUnauthorisedMediaServers(ListQuery(filter: #"hostname="media-c""#))
        #expect(page.items.map(\.hostname) == ["media-c"])
    }
}
