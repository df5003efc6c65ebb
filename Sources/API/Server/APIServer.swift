import Catalog
import Foundation
import Hummingbird
import HummingbirdTLS
import LibraryService
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// What the routes share: the media server's service, the catalog, tokens, accounts, metrics.
struct APIState: Sendable {
    let server: OpenedMediaServer
    let configuration: APIConfiguration
    let tokens: TokenService
    let accounts: Accounts
    let metrics: APIMetrics
    let logger: Logger
    let startedAt: Date
    let assets: StaticAssets
    /// Catalog-only GET answers until the catalog changes; nil when turned off (--no-response-cache).
    let responseCache: ResponseCache?
    let tokenCache = TokenCache()

    var catalog: TapeCatalog { server.catalog }
}

extension OpenedMediaServer {
    var catalog: TapeCatalog { service.catalog }
}

/// The REST API as a service of the media server's ServiceGroup.
public enum APIServer {
    /// The HTTP server for `server`, ready to join its service group (`OpenedMediaServer.run(with:)`).
    /// Creates the first superuser on first start.
    public static func service(for server: OpenedMediaServer, configuration: APIConfiguration,
                               logger: Logger) async throws(ServiceError) -> any Service {
        do {
            let state = try await makeState(server, configuration: configuration, logger: logger)
            return APIService(application: try application(state), catalog: server.catalog)
        } catch {
            throw ServiceError(error)
        }
    }

    static func makeState(_ server: OpenedMediaServer, configuration: APIConfiguration,
                          logger: Logger) async throws -> APIState {
        let authLog = Logger(label: "tapelib.api.auth")
        try await Accounts.bootstrap(catalog: server.catalog, name: configuration.adminUser, password: configuration.adminPassword,
                                     stateDirectory: server.stateDirectory, cost: configuration.bcryptCost, logger: logger)
        let key = try await TokenService.signingKey(catalog: server.catalog)
        let tokens = await TokenService(signingKey: key, catalog: server.catalog)
        let accounts = try await Accounts(catalog: server.catalog, cost: configuration.bcryptCost, authLog: authLog)
        if !configuration.isLoopback && !configuration.usesTLS {
            logger.warning("the API listens on \(configuration.host) without TLS: tokens and passwords cross the network in clear; give --tls-cert and --tls-key")
        }
        let metrics = APIMetrics()
        server.commandRelay.attach(metrics)
        return APIState(server: server, configuration: configuration, tokens: tokens, accounts: accounts,
                        metrics: metrics, logger: logger, startedAt: Date(),
                        assets: try await StaticAssets.load(),
                        responseCache: configuration.responseCache ? ResponseCache() : nil)
    }

    static func router(_ state: APIState) -> Router<APIContext> {
        let table = RouteTable.routes(state)
        let router = Router(context: APIContext.self)
        router.add(middleware: AccessLogMiddleware(state: state, table: table))
        for route in table {
            router.on(RouterPath(route.routerPath), method: route.method) { request, context in
                try await RouteTable.respond(route, request: request, context: context, state: state)
            }
        }
        return router
    }

    static func application(_ state: APIState) throws -> some ApplicationProtocol {
        let configuration = ApplicationConfiguration(
            address: .hostname(state.configuration.host, port: state.configuration.port),
            serverName: "tapelib")
        let router = router(state)
        let logger = Logger(label: "tapelib.api")
        if let certificate = state.configuration.tlsCertificate, let key = state.configuration.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain,
                                                               privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            return Application(router: router, server: try .tls(.http1(), tlsConfiguration: tls),
                               configuration: configuration, onServerRunning: { channel in
                                   state.logger.notice("API listening on https://\(state.configuration.host):\(channel.localAddress?.port ?? state.configuration.port)")
                               }, logger: logger)
        }
        return Application(router: router, server: .http1(), configuration: configuration,
                           onServerRunning: { channel in
                               state.logger.notice("API listening on http://\(state.configuration.host):\(channel.localAddress?.port ?? state.configuration.port)")
                           }, logger: logger)
    }
}

/// The HTTP server and, beside it, the poll that lets the caches see other processes' commits.
struct APIService<App: ApplicationProtocol>: Service {
    let application: App
    let catalog: TapeCatalog

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await catalog.followExternalCommits(pollInterval: .milliseconds(100)) }
            defer { group.cancelAll() }
            try await application.run()
        }
    }
}
