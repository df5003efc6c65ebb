import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibraryService
import Testing
@testable import API

@Suite("REST API routes, in process")
struct APIRouteTests {
    @Test("login answers the seed's fields; a wrong password and an unknown user get the same 401")
    func login() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let ok = try await client.call(.post, "/api/v1/auth/login",
                                           json: #"{"rubackup_database": "rubackup", "rubackup_user": "admin", "password": "\#(APIHarness.password)"}"#)
            #expect(ok.status == 200)
            let data = try #require(ok.data as? [String: Any])
            for key in ["access_token", "refresh_token", "csrf_token", "role", "user_name", "package_version", "rubackup_server_address"] {
                #expect(data[key] != nil, "login answer lacks \(key)")
            }
            #expect(data["role"] as? [String] == ["superuser"])
            let wrong = try await client.call(.post, "/api/v1/auth/login", json: #"{"rubackup_user": "admin", "password": "nope-nope"}"#)
            let unknown = try await client.call(.post, "/api/v1/auth/login", json: #"{"rubackup_user": "ghost", "password": "nope-nope"}"#)
            #expect(wrong.status == 401 && unknown.status == 401)
            #expect(wrong.message == unknown.message)
            #expect(wrong.isError && wrong.code == "unauthenticated")
        }
    }

    @Test("after wrong_auth_attempts_count failures the account is locked, also for the right password, and the lock is in the catalog")
    func lockout() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.catalog.setConfiguration(["wrong_auth_attempts_count": "3"])
        try await harness.test { client in
            for _ in 0..<3 {
                let answer = try await client.call(.post, "/api/v1/auth/login", json: #"{"rubackup_user": "admin", "password": "wrong-one"}"#)
                #expect(answer.status == 401)
            }
            let locked = try await client.call(.post, "/api/v1/auth/login",
                                               json: #"{"rubackup_user": "admin", "password": "\#(APIHarness.password)"}"#)
            #expect(locked.status == 401)
            #expect(locked.code == "account_locked")
        }
        let user = try #require(try await harness.catalog.user(named: "admin"))
        #expect((user.lockedUntil ?? .distantPast) > Date())
    }

    @Test("no token, a forged token, an expired token: 401; no CSRF token: 403; a refused role: 403")
    func authFailures() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.addUser("viewer", roles: [.supervisor])
        let expired = try await harness.state.tokens.issue(userID: 1, name: "admin", now: Date().addingTimeInterval(-3_600))
        try await harness.test { client in
            let session = try await client.login()
            #expect(try await client.call(.get, "/api/v1/tape_libraries").status == 401)
            var forged = session
            forged.access = String(session.access.dropLast(4)) + "AAAA"
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: forged).status == 401)
            var old = session
            old.access = expired.access
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: old).status == 401)
            var refreshAsAccess = session
            refreshAsAccess.access = session.refresh
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: refreshAsAccess).status == 401)
            var noCSRF = session
            noCSRF.csrf = "0000"
            let refused = try await client.call(.get, "/api/v1/tape_libraries", session: noCSRF)
            #expect(refused.status == 403 && refused.code == "forbidden")
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: session).status == 200)

            let viewer = try await client.login("viewer")
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: viewer).status == 200)
            let erase = try await client.call(.patch, "/api/v1/library_slots/erase_cartridge", session: viewer,
                                              json: #"{"data": [{"library_id": 1, "volume_tag": "B00001L8"}]}"#)
            #expect(erase.status == 403)
        }
        #expect(try await harness.catalog.pendingLibraryTasks().isEmpty)
    }

    @Test("refresh gives a new pair and uses the old refresh token up; logout revokes, and a call after it is refused")
    func refreshAndLogout() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            var bearerRefresh = HTTPFields()
            bearerRefresh[.authorization] = "Bearer \(session.refresh)"
            let refreshed = try await client.call(.post, "/api/v1/auth/refresh", headers: bearerRefresh)
            #expect(refreshed.status == 200)
            let data = try #require(refreshed.data as? [String: Any])
            let newAccess = try #require(data["access_token"] as? String)
            #expect(try await client.call(.post, "/api/v1/auth/refresh", headers: bearerRefresh).status == 401)
            let renewed = Session(access: newAccess, refresh: try #require(data["refresh_token"] as? String), csrf: session.csrf)
            #expect(try await client.call(.get, "/api/v1/tl_task_queue", session: renewed).status == 200)
            var bearerAccess = HTTPFields()
            bearerAccess[.authorization] = "Bearer \(newAccess)"
            let other = try await client.login()
            let logout = try await client.call(.delete, "/api/v1/auth/logout", headers: bearerAccess)
            #expect(logout.status == 200)
            #expect(logout.message == "Authentication data has been revoked")
            #expect(try await client.call(.get, "/api/v1/tl_task_queue", session: renewed).status == 401)
            // The logout sent the access token alone, and ended its session: the session's refresh
            // token, not presented, refreshes nothing. Another login session goes on.
            var renewedRefresh = HTTPFields()
            renewedRefresh[.authorization] = "Bearer \(renewed.refresh)"
            #expect(try await client.call(.post, "/api/v1/auth/refresh", headers: renewedRefresh).status == 401)
            #expect(try await client.call(.get, "/api/v1/tl_task_queue", session: other).status == 200)
        }
    }

    @Test("the CSRF token is the login session's (another session's is refused, a refresh keeps it); the signing key is the catalog's, so another node's API takes the session")
    func sessionsAreTheCatalogs() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        // What another media server's API over the same catalog holds.
        let otherNode = await TokenService(signingKey: try await TokenService.signingKey(catalog: harness.catalog), catalog: harness.catalog)
        try await harness.test { client in
            let first = try await client.login()
            let second = try await client.login()
            #expect(first.csrf != second.csrf)
            #expect(first.csrf.count == 64)
            var crossed = first
            crossed.csrf = second.csrf
            let refused = try await client.call(.get, "/api/v1/tape_libraries", session: crossed)
            #expect(refused.status == 403 && refused.code == "forbidden")
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: second).status == 200)

            var bearerRefresh = HTTPFields()
            bearerRefresh[.authorization] = "Bearer \(first.refresh)"
            let refreshed = try await client.call(.post, "/api/v1/auth/refresh", headers: bearerRefresh)
            #expect(refreshed.status == 200)
            let data = try #require(refreshed.data as? [String: Any])
            #expect(data["csrf_token"] as? String == first.csrf)

            let claims = try await otherNode.verify(first.access, kind: .access)
            #expect(otherNode.csrfMatches(first.csrf, claims: claims))
            #expect(!otherNode.csrfMatches(second.csrf, claims: claims))
            let issuedThere = try await otherNode.issue(userID: try #require(claims.userID), name: claims.name)
            let there = Session(access: issuedThere.access, refresh: issuedThere.refresh, csrf: issuedThere.csrf)
            #expect(try await client.call(.get, "/api/v1/tape_libraries", session: there).status == 200)
        }
    }

    @Test("errors are envelopes: 404 unknown path and id, 405 wrong method with Allow, 400 malformed, unknown field, wrong type, 413 oversized")
    func badInput() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            let unknownPath = try await client.call(.get, "/api/v1/no_such_thing", session: session)
            #expect(unknownPath.status == 404 && unknownPath.isError && unknownPath.code == "not_found")
            #expect(try await client.call(.get, "/api/v1/tape_libraries/999", session: session).status == 404)
            #expect(try await client.call(.get, "/api/v1/tape_libraries/abc", session: session).status == 404)
            let wrongMethod = try await client.call(.put, "/api/v1/tape_libraries", session: session)
            #expect(wrongMethod.status == 405 && wrongMethod.isError)
            let malformed = try await client.call(.post, "/api/v1/tape_cartridges", session: session, json: #"{"data": {"volume_tag": "#)
            #expect(malformed.status == 400 && malformed.code == "invalid_request")
            let extra = try await client.call(.post, "/api/v1/tape_cartridges", session: session,
                                              json: #"{"data": {"volume_tag": "NEW001L9", "colour": "red"}}"#)
            #expect(extra.status == 400)
            #expect((extra.json["errors"] as? [String: String])?["data.colour"] == "unknown field")
            let wrongType = try await client.call(.post, "/api/v1/tape_cartridges", session: session,
                                                  json: #"{"data": {"volume_tag": 7}}"#)
            #expect(wrongType.status == 400)
            let missing = try await client.call(.post, "/api/v1/tape_cartridges", session: session, json: #"{"data": {}}"#)
            #expect(missing.status == 400)
            let filter = try await client.call(.get, "/api/v1/library_slots?filter_data=nonsense%3D%22x%22", session: session)
            #expect(filter.status == 400 && filter.code == "invalid_query")
            let huge = "{\"data\": {\"volume_tag\": \"" + String(repeating: "A", count: 2 << 20) + "\"}}"
            let oversized = try await client.call(.post, "/api/v1/tape_cartridges", session: session, json: huge)
            #expect(oversized.status == 413 && oversized.isError)
        }
        #expect(try await harness.catalog.cartridge(volumeTag: "NEW001L9") == nil)
    }

    @Test("library actions queue cartridge-addressed tasks; a whole request is refused when one item is bad, and a busy cartridge is refused")
    func slotActions() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        let slots = try await harness.catalog.slots(library: 1)
        let stored = slots.filter { $0.kind == .storage && $0.full }.compactMap(\.volumeTag)
        let empty = try #require(slots.first { $0.kind == .storage && !$0.full })
        #expect(stored.count >= 3)
        try await harness.test { client in
            let session = try await client.login()
            let erase = try await client.call(.patch, "/api/v1/library_slots/erase_cartridge", session: session,
                                              json: #"{"data": [{"library_id": 1, "volume_tag": "\#(stored[0])", "is_long_erase": false}]}"#)
            #expect(erase.status == 200)
            let ids = try #require((erase.data as? [String: Any])?["task_ids"] as? [Int])
            #expect(ids.count == 1)
            let again = try await client.call(.patch, "/api/v1/library_slots/format_cartridge", session: session,
                                              json: #"{"data": [{"library_id": 1, "volume_tag": "\#(stored[0])", "ltfs": true}]}"#)
            #expect(again.status == 409)
            let mixed = try await client.call(.patch, "/api/v1/library_slots/check_ltfs", session: session,
                                              json: #"{"data": [{"library_id": 1, "volume_tag": "\#(stored[1])"}, {"library_id": 1, "volume_tag": "NOPE01L9"}]}"#)
            #expect(mixed.status == 404)
            let move = try await client.call(.patch, "/api/v1/library_slots/move_cartridge", session: session,
                                             json: #"{"data": {"library_id": 1, "volume_tag": "\#(stored[2])", "slot_id": \#(empty.id ?? 0)}}"#)
            #expect(move.status == 200)
            let sync = try await client.call(.post, "/api/v1/tape_libraries/1/sync", session: session)
            #expect(sync.status == 201)
            let queue = try await client.call(.get, "/api/v1/tl_task_queue?filter_data=status%3D%22new%22", session: session)
            #expect((queue.data as? [Any])?.count == 3)
        }
        let pending = try await harness.catalog.pendingLibraryTasks()
        let types = pending.map(\.type.rawValue).sorted()
        #expect(types == ["erase", "move", "sync"])
        let erase = try #require(pending.first { $0.type == .erase })
        #expect(erase.cartridgeId != nil && erase.driveId == nil)
    }

    @Test("service mode refuses hardware tasks with 409 and queues nothing")
    func serviceMode() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            #expect(try await client.call(.patch, "/api/v1/global_configuration/service_mode", session: session,
                                          json: #"{"service_mode": true}"#).status == 200)
            let sync = try await client.call(.post, "/api/v1/tape_libraries/1/sync", session: session)
            #expect(sync.status == 409 && sync.code == "service_mode")
        }
        #expect(try await harness.catalog.pendingLibraryTasks().isEmpty)
    }

    @Test("task controls: kill a queued task; pausing a finished one is a 400 in the envelope; restart of unknown ids is 404")
    func taskControls() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        try await harness.test { client in
            let session = try await client.login()
            let sync = try await client.call(.post, "/api/v1/tape_libraries/1/sync", session: session)
            let id = try #require(((sync.data as? [String: Any])?["task_ids"] as? [Int])?.first)
            let kill = try await client.call(.post, "/api/v1/kill_task", session: session, json: #"{"data": {"task_id": \#(id)}}"#)
            #expect(kill.status == 200)
            #expect((kill.data as? [String: Any])?["status"] as? String == "killed")
            #expect((kill.data as? [String: Any])?["error_code"] as? String == "killed")
            let pause = try await client.call(.post, "/api/v1/put_task_on_pause", session: session, json: #"{"data": {"task_id": \#(id)}}"#)
            #expect(pause.status == 400 && pause.isError)
            let restart = try await client.call(.post, "/api/v1/restart_task", session: session, json: #"{"data": {"tasks_ids": [9999]}}"#)
            #expect(restart.status == 404)
        }
    }

    @Test("bulk delete applies per id: some unknown → 207 with per-id results")
    func bulkDelete() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        let offline = try await harness.catalog.registerCartridge(volumeTag: "OFF001L9")
        try await harness.test { client in
            let session = try await client.login()
            let answer = try await client.call(.delete, "/api/v1/tape_cartridges", session: session,
                                               json: #"{"ids": [\#(offline.id ?? 0), 999999]}"#)
            #expect(answer.status == 207)
            let results = try #require(answer.data as? [[String: Any]])
            #expect(results.map { $0["status"] as? Int } == [200, 404])
        }
        #expect(try await harness.catalog.cartridge(volumeTag: "OFF001L9") == nil)
    }

    @Test("every route of the table answers each role as it declares: allowed roles never get 403, others always do")
    func roleMatrix() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        for role in Role.allCases where role != .superuser {
            try await harness.addUser("user-\(role.rawValue)", roles: [role], mediaServer: role == .maintainer ? 1 : nil)
        }
        let table = RouteTable.routes(harness.state)
        try await harness.test { client in
            var sessions: [Role: Session] = [.superuser: try await client.login()]
            for role in Role.allCases where role != .superuser { sessions[role] = try await client.login("user-\(role.rawValue)") }
            for route in table {
                guard case .roles(let allowed) = route.access else { continue }
                // Reads and refusals only: writes by allowed roles are not what this walks.
                let path = route.path.replacingOccurrences(of: "{id}", with: "999999")
                for role in Role.allCases {
                    guard !allowed.contains(role) else { continue }
                    let answer = try await client.call(route.method, path, session: sessions[role], json: "{}")
                    #expect(answer.status == 403, "\(role) on \(route.method) \(route.path) answered \(answer.status)")
                }
                if route.method == .get, let role = allowed.min() {
                    let answer = try await client.call(route.method, path, session: sessions[role])
                    #expect(answer.status != 403 && answer.status != 401, "\(role) on GET \(route.path) answered \(answer.status)")
                    #expect(answer.status < 500 || answer.code == "not_built", "GET \(route.path) answered \(answer.status)")
                }
            }
        }
    }

    @Test("the OpenAPI document and the route table agree: every route is documented, every documented operation is routed, with the same roles")
    func contract() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        let bytes = try #require(harness.state.assets.files["openapi.json"])
        let document = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: [String: Set<String>] = [:]
        var markedNotBuilt: Set<String> = []
        for (path, operations) in paths {
            for (method, operation) in operations where ["get", "post", "put", "patch", "delete"].contains(method) {
                let key = "\(method.uppercased()) \(path)"
                documented[key] = Set(((operation as? [String: Any])?["x-roles"] as? [String]) ?? [])
                if (operation as? [String: Any])?["x-not-built"] as? Bool == true { markedNotBuilt.insert(key) }
            }
        }
        var routed: [String: Set<String>?] = [:]
        for route in RouteTable.routes(harness.state) {
            // Routes without roles (login, refresh, logout, the document, /metrics) check tokens, not roles.
            let roles: Set<String>? = if case .roles(let set) = route.access { Set(set.map(\.rawValue)) } else { nil }
            routed["\(route.method.rawValue) \(route.path)"] = roles
        }
        #expect(Set(documented.keys).subtracting(routed.keys).sorted() == [], "documented but not routed")
        #expect(Set(routed.keys).subtracting(documented.keys).sorted() == [], "routed but not documented")
        let notBuilt = Set(RouteTable.notBuilt.map { "\($0.0.rawValue) \($0.1)" })
        // The document marks what answers 501 (x-not-built), so contract tests can leave it out.
        #expect(markedNotBuilt == notBuilt)
        for (key, roles) in routed where !notBuilt.contains(key) {
            if let declared = documented[key], let roles { #expect(declared == roles, "\(key): document says \(declared.sorted()), route \(roles.sorted())") }
        }
    }

    @Test("every status a route answers is documented for its operation: without a token, without CSRF, an unknown id, a malformed, an empty and an oversized body, a bad list query")
    func statusesAreDocumented() async throws {
        let harness = try await APIHarness.make()
        defer { harness.close() }
        let bytes = try #require(harness.state.assets.files["openapi.json"])
        let document = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documentedStatuses: [String: Set<Int>] = [:]
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = ((operation as? [String: Any])?["responses"] as? [String: Any]) ?? [:]
                documentedStatuses["\(method.uppercased()) \(path)"] = Set(responses.keys.compactMap(Int.init))
            }
        }
        let documented = documentedStatuses
        let notBuilt = Set(RouteTable.notBuilt.map { "\($0.0.rawValue) \($0.1)" })
        let oversized = String(repeating: " ", count: harness.state.configuration.bodyLimit + 1)
        try await harness.test { client in
            let session = try await client.login()
            for route in RouteTable.routes(harness.state) where !notBuilt.contains("\(route.method.rawValue) \(route.path)") {
                let path = route.path.replacingOccurrences(of: "{id}", with: "999999")
                let expected = documented["\(route.method.rawValue) \(route.path)"] ?? []
                var seen: [Int: String] = [:]
                func note(_ answer: Answer, _ what: String) { seen[answer.status] = seen[answer.status] ?? what }
                // What a route declares must be documented whatever the walk sees.
                switch route.access {
                case .roles: seen[401] = "declared"; seen[403] = "declared"
                case .tokenOnly: seen[401] = "declared"
                case .open, .metrics: break
                }
                if route.path.contains("{") { seen[404] = "declared" }
                if route.access != .open && route.access != .metrics {
                    note(try await client.call(route.method, path), "no token")
                }
                if case .roles = route.access {
                    var headers = HTTPFields()
                    headers[HTTPField.Name("X-CSRF-TOKEN")!] = "wrong"
                    note(try await client.call(route.method, path, session: session, headers: headers), "wrong CSRF")
                    if route.method == .get {
                        note(try await client.call(.get, path, session: session), "GET")
                        note(try await client.call(.get, path + "?limit=0&filter_data=nosuchfield%3D%221%22", session: session),
                             "bad list query")
                    } else {
                        note(try await client.call(route.method, path, session: session, json: "{"), "malformed body")
                        note(try await client.call(route.method, path, session: session, json: "{}"), "empty object")
                        note(try await client.call(route.method, path, session: session, json: oversized), "oversized body")
                    }
                }
                for (status, what) in seen.sorted(by: { $0.key < $1.key }) where !expected.contains(status) {
                    Issue.record("\(route.method) \(route.path) answers \(status) (\(what)); the document lists \(expected.sorted())")
                }
            }
        }
    }

    @Test("/metrics answers loopback with request counts, catalog sizes, and the SCSI commands of a sync by command")
    func metrics() async throws {
        let harness = try await APIHarness.make(synced: true)
        defer { harness.close() }
        try await harness.test { client in
            _ = try await client.call(.get, "/api/v1/server_hello")
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.contains("tapelib_http_requests_total"))
            #expect(text.contains(#"route="/api/v1/server_hello""#))
            #expect(text.contains(#"tapelib_catalog_rows{table="library_slots"}"#))
            // The sync read the changer's elements: counted and timed by command.
            #expect(text.contains(#"tapelib_scsi_commands_total{opcode="0xB8",command="READ ELEMENT STATUS",result="good"}"#))
            #expect(text.contains(#"tapelib_scsi_command_duration_seconds_count{opcode="0xB8",command="READ ELEMENT STATUS"}"#))
        }
    }
}
