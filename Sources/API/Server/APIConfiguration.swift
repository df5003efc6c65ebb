import Foundation

/// The REST API's settings: the seed's environment variables (`APP_HOST`, `APP_PORT`, `DEBUG`)
/// overridden by `tapelib serve`'s flags.
public struct APIConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// HTTPS when both are given (PEM files); plain HTTP otherwise.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Request bodies above this many bytes are refused with 413 (default 1 MiB).
    public var bodyLimit: Int
    /// The first start's superuser (`TAPELIB_ADMIN_USER`, default admin) and its password
    /// (`TAPELIB_ADMIN_PASSWORD`; generated and written once to a 0600 file when absent).
    public var adminUser: String
    public var adminPassword: String?
    /// `GET /metrics` also answers a client that is not on loopback when it presents this bearer token.
    public var metricsToken: String?
    /// Directories `list_client_filesystem` may list (the host's own filesystem, confined).
    public var clientRoots: [String]
    /// bcrypt cost of new password hashes (≥ 12 outside tests).
    public var bcryptCost: UInt8
    public var debug: Bool
    /// Whether catalog-only GET answers are kept until the catalog changes (`ResponseCache`).
    public var responseCache = true

    public static let defaultPort = 5656

    public init(host: String = "127.0.0.1", port: Int = APIConfiguration.defaultPort, tlsCertificate: String? = nil,
                tlsKey: String? = nil, bodyLimit: Int = 1 << 20, adminUser: String = "admin", adminPassword: String? = nil,
                metricsToken: String? = nil, clientRoots: [String] = ["/"], bcryptCost: UInt8 = 12, debug: Bool = false) {
        self.host = host; self.port = port; self.tlsCertificate = tlsCertificate; self.tlsKey = tlsKey
        self.bodyLimit = bodyLimit; self.adminUser = adminUser; self.adminPassword = adminPassword
        self.metricsToken = metricsToken; self.clientRoots = clientRoots; self.bcryptCost = bcryptCost; self.debug = debug
    }

    /// The defaults with the environment's values (APP_HOST, APP_PORT, DEBUG, TAPELIB_ADMIN_USER,
    /// TAPELIB_ADMIN_PASSWORD, TAPELIB_METRICS_TOKEN); a malformed APP_PORT is an error.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> APIConfiguration {
        var configuration = APIConfiguration()
        if let host = environment["APP_HOST"], !host.isEmpty { configuration.host = host }
        if let port = environment["APP_PORT"], !port.isEmpty {
            guard let value = Int(port), (0...65_535).contains(value) else {
                throw ConfigurationError(description: "APP_PORT=\(port) is not a port number (0…65535)")
            }
            configuration.port = value
        }
        if let debug = environment["DEBUG"] { configuration.debug = ["1", "true", "yes"].contains(debug.lowercased()) }
        if let user = environment["TAPELIB_ADMIN_USER"], !user.isEmpty { configuration.adminUser = user }
        if let password = environment["TAPELIB_ADMIN_PASSWORD"], !password.isEmpty { configuration.adminPassword = password }
        if let token = environment["TAPELIB_METRICS_TOKEN"], !token.isEmpty { configuration.metricsToken = token }
        return configuration
    }

    public var usesTLS: Bool { tlsCertificate != nil && tlsKey != nil }

    /// Whether `host` is a loopback address (binding elsewhere without TLS draws a warning).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }
}
