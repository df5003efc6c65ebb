import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibraryService
import Logging
import NIOCore
import Testing
@testable import API

/// An in-process media server over a simulated midsize library (registered on open, as on a
/// first start), with the API's state; the engine is not running, so tasks stay queued.
struct APIHarness {
    let directory: String
    let server: OpenedMediaServer
    let state: APIState

    static let password = "correct horse 1"

    /// With `synced`, the service runs until a sync of library 1 has ended, so the catalog
    /// holds every slot (empty ones too), then stops.
    static func make(profile: String = "midsize", synced: Bool = false, clientRoots: [String] = ["/"]) async throws -> APIHarness {
        let directory = NSTemporaryDirectory() + "tapelib-api-\(UUID().uuidString)"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = try await MediaServerService.open(
            .init(stateDirectory: directory, devices: .simulated(profile: profile, stateDirectory: nil)), logger: logger)
        // Cost 4 keeps the suite fast; the service's default is 12.
        let configuration = APIConfiguration(adminPassword: password, clientRoots: clientRoots, bcryptCost: 4)
        let state = try await APIServer.makeState(server, configuration: configuration, logger: logger)
        if synced {
            let service = server.service
            let runner = Task { try await service.run(maximumShutdown: .seconds(60)) }
            let task = try await service.engine.submit(LibraryTask(type: .sync, libraryId: 1))
            let id = try #require(task.id)
            // Waits for the event (the task's final status), with a generous bound for a busy machine.
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                if let row = try await server.service.catalog.libraryTask(id: id), row.status.isFinal { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            runner.cancel()
            _ = await runner.result
            #expect(try await server.service.catalog.libraryTask(id: id)?.status == .done)
        }
        return APIHarness(directory: directory, server: server, state: state)
    }

    func close() {
        server.release()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var catalog: TapeCatalog { server.service.catalog }

    /// Runs `body` against the router in process.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: APIServer.router(state))
        try await app.test(.router, body)
    }

    /// A user with `roles` (and media server), created directly in the catalog.
    func addUser(_ name: String, roles: [Role], mediaServer: Int64? = nil) async throws {
        let hash = try await Accounts.hash(Self.password, cost: 4)
        _ = try await catalog.insert(User(name: name, passwordHash: hash, mediaServerId: mediaServer), roles: roles.map(\.rawValue))
    }
}

/// A logged-in session's headers.
struct Session: Sendable {
    var access: String
    var refresh: String
    var csrf: String

    var headers: HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(access)"
        fields[HTTPField.Name("X-CSRF-TOKEN")!] = csrf
        fields[.contentType] = "application/json"
        return fields
    }
}

/// The envelope, decoded loosely for assertions.
struct Answer {
    var status: Int
    var json: [String: Any]
    var data: Any? { json["data"] }
    var isError: Bool { json["is_error"] as? Bool ?? false }
    var message: String { json["message"] as? String ?? "" }
    var code: String? { json["code"] as? String }

    init(_ response: TestResponse) throws {
        status = Int(response.status.code)
        let bytes = Data(buffer: response.body)
        json = (try JSONSerialization.jsonObject(with: bytes) as? [String: Any]) ?? [:]
    }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, session: Session? = nil, headers: HTTPFields = [:],
              json: String? = nil) async throws -> Answer {
        var fields = session?.headers ?? HTTPFields()
        for field in headers { fields[field.name] = field.value }
        let response = try await execute(uri: uri, method: method, headers: fields,
                                         body: json.map { ByteBuffer(string: $0) })
        return try Answer(response)
    }

    func login(_ user: String = "admin", password: String = APIHarness.password) async throws -> Session {
        let answer = try await call(.post, "/api/v1/auth/login",
                                    json: #"{"rubackup_user": "\#(user)", "password": "\#(password)"}"#)
        guard answer.status == 200, let data = answer.data as? [String: Any],
              let access = data["access_token"] as? String, let refresh = data["refresh_token"] as? String,
              let csrf = data["csrf_token"] as? String else {
            throw HarnessError("login of \(user) failed: \(answer.status) \(answer.message)")
        }
        return Session(access: access, refresh: refresh, csrf: csrf)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
