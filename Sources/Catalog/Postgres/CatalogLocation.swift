import Foundation

/// Where a catalog lives: the embedded SQLite file of a state directory (the default, no setup),
/// or a PostgreSQL database that several media servers share.
public enum CatalogLocation: Sendable, Equatable {
    case sqlite(stateDirectory: String)
    case postgres(PostgresCatalogConfiguration)

    /// The catalog named by `--catalog VALUE` or else `TAPELIB_CATALOG_URL`, else the state
    /// directory's SQLite file. VALUE is a `postgres://` (or `postgresql://`) URL, or
    /// `sqlite:DIR` for the SQLite catalog of state directory DIR.
    /// `stateDirectoryGiven`: the state directory was named by a flag, which wins over the
    /// environment's URL (an explicit flag always names the catalog meant).
    public static func resolve(flag: String?, stateDirectory: String, stateDirectoryGiven: Bool = false,
                               poolSize: Int? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CatalogError) -> CatalogLocation {
        if let flag, flag.isEmpty {
            throw .invalidArgument("--catalog is empty: give postgres://USER@HOST:PORT/DATABASE or sqlite:DIR")
        }
        if flag != nil && stateDirectoryGiven {
            throw .invalidArgument("--catalog and --state-dir name two catalogs: give one (sqlite:DIR names a state directory's)")
        }
        let fromEnvironment = stateDirectoryGiven ? nil : environment["TAPELIB_CATALOG_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text = flag ?? fromEnvironment else {
            return .sqlite(stateDirectory: stateDirectory)
        }
        if text.hasPrefix("sqlite:") {
            let directory = String(text.dropFirst("sqlite:".count))
            guard !directory.isEmpty else { throw .invalidArgument("catalog \(text): sqlite: needs a state directory") }
            return .sqlite(stateDirectory: directory)
        }
        return .postgres(try PostgresCatalogConfiguration(url: text, poolSize: poolSize, environment: environment))
    }

    /// For messages: the SQLite file, or the PostgreSQL URL without its password.
    public var displayName: String {
        switch self {
        case .sqlite(let directory): return StateDirectory.catalogPath(in: directory)
        case .postgres(let configuration): return configuration.displayURL
        }
    }
}

/// How to reach a PostgreSQL catalog: `postgres://USER@HOST[:PORT]/DATABASE[?options]`.
///
/// Options (libpq's names where libpq has one): `sslmode` = `disable`, `prefer` (the default, as
/// libpq), `require` (TLS, certificate not verified, as libpq), `verify-full` (TLS, the
/// certificate verified against `sslrootcert` or the system's roots, and the host name);
/// `sslrootcert=PATH`; `passfile=PATH`; `pool=N` (connections, default 10; `--catalog-pool`
/// overrides); `application_name`.
///
/// The password is never in the URL (where `ps` and logs would show it): it comes from
/// `PGPASSWORD`, or from a password file — `passfile=`, `PGPASSFILE`, or `~/.pgpass` — in
/// libpq's format (`host:port:database:user:password`, `*` matches anything), which must not be
/// readable by group or others (0600), as libpq requires.
public struct PostgresCatalogConfiguration: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public var tls: TLSMode
    /// PEM file of the certificate authorities `verify-full` trusts (else the system's).
    public var rootCertificatePath: String?
    /// Connections in the pool of each process.
    public var poolSize: Int
    public var applicationName: String

    public static let defaultPoolSize = 10

    public init(host: String, port: Int = 5432, user: String, database: String, password: String? = nil,
                tls: TLSMode = .prefer, rootCertificatePath: String? = nil, poolSize: Int = defaultPoolSize,
                applicationName: String = "tapelib") {
        self.host = host; self.port = port; self.user = user; self.database = database; self.password = password
        self.tls = tls; self.rootCertificatePath = rootCertificatePath; self.poolSize = poolSize
        self.applicationName = applicationName
    }

    /// Parses a catalog URL; `poolSize` (a flag) wins over the URL's `pool`.
    public init(url text: String, poolSize: Int? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(CatalogError) {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw .invalidArgument("catalog \(Self.redact(text)): expected postgres://USER@HOST:PORT/DATABASE or sqlite:DIR")
        }
        guard let components = URLComponents(string: text), var host = components.host, !host.isEmpty else {
            throw .invalidArgument("catalog \(Self.redact(text)): not a URL with a host")
        }
        // An IPv6 literal is written in brackets in a URL; the connection wants the address.
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasPrefix("/") || host.hasPrefix("%2F") || host.hasPrefix("%2f") {
            throw .invalidArgument("catalog \(Self.redact(text)): Unix-domain sockets are not supported; give a TCP host "
                                   + "(127.0.0.1 for a local server)")
        }
        if components.password != nil {
            throw .invalidArgument("catalog \(Self.redact(text)): put the password in PGPASSWORD or a 0600 password file "
                                   + "(passfile=PATH, PGPASSFILE, ~/.pgpass), not in the URL")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .invalidArgument("catalog \(Self.redact(text)): the URL names no user (postgres://USER@HOST/DATABASE)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else {
            throw .invalidArgument("catalog \(Self.redact(text)): the URL names no database (postgres://USER@HOST/DATABASE)")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw .invalidArgument("catalog \(text): port \(port) out of range") }
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard options[item.name] == nil else { throw .invalidArgument("catalog \(text): option \(item.name) given twice") }
            options[item.name] = item.value ?? ""
        }
        let known: Set = ["sslmode", "sslrootcert", "passfile", "pool", "application_name"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidArgument("catalog \(text): unknown option \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
        }
        let tls: TLSMode
        if let mode = options["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw .invalidArgument("catalog \(text): sslmode \(mode) is not disable, prefer, require or verify-full")
            }
            tls = parsed
        } else {
            tls = .prefer
        }
        if options["sslrootcert"] != nil && tls != .verifyFull {
            throw .invalidArgument("catalog \(text): sslrootcert needs sslmode=verify-full")
        }
        var pool = Self.defaultPoolSize
        if let value = options["pool"] {
            guard let parsed = Int(value) else { throw .invalidArgument("catalog \(text): pool \(value) is not a number") }
            pool = parsed
        }
        if let poolSize { pool = poolSize }
        guard (1...500).contains(pool) else { throw .invalidArgument("catalog pool size \(pool) outside 1...500") }
        self.init(host: host, port: port, user: user, database: path, password: nil, tls: tls,
                  rootCertificatePath: options["sslrootcert"], poolSize: pool,
                  applicationName: options["application_name"] ?? "tapelib")
        self.password = try Self.password(host: host, port: port, database: path, user: user,
                                           passfile: options["passfile"], environment: environment)
    }

    /// The URL as an operator may see it (no password is ever in it).
    public var displayURL: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostPart):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// The text with any password replaced, also when it does not parse as a URL (everything
    /// between `://` and the last `@` before the path is the user part, and hidden then).
    static func redact(_ text: String) -> String {
        if let components = URLComponents(string: text) {
            guard components.password != nil else { return text }
            var redacted = components
            redacted.password = "****"
            return redacted.string ?? "(catalog URL)"
        }
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<scheme.upperBound]) + "****" + String(rest[at...])
    }

    /// PGPASSWORD (when not empty), else the first matching line of the password file, with
    /// libpq's rules for its lines. One difference: a file named by `passfile=` or `PGPASSFILE`
    /// that group or others can read is refused with the fix, where libpq warns and ignores it;
    /// `~/.pgpass` in that state is ignored, as libpq does, since it may not be meant for this.
    static func password(host: String, port: Int, database: String, user: String, passfile: String?,
                         environment: [String: String]) throws(CatalogError) -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let path: String
        let explicit: Bool
        if let passfile {
            path = passfile; explicit = true
        } else if let file = environment["PGPASSFILE"], !file.isEmpty {
            path = file; explicit = true
        } else if let home = environment["HOME"] {
            path = home + "/.pgpass"; explicit = false
        } else {
            return nil
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            if explicit { throw .invalidArgument("password file \(path): \(String(cString: strerror(errno)))") }
            return nil
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            if explicit { throw .invalidArgument("password file \(path) is not a regular file") }
            return nil
        }
        guard info.st_mode & 0o077 == 0 else {
            if explicit { throw .invalidArgument("password file \(path) is readable by group or others: chmod 0600 \(path)") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .invalidArgument("password file \(path) cannot be read as UTF-8 text")
        }
        let wanted = [host, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let entry = PasswordFileLine(String(line)) else { continue }
            if zip(entry.fields, wanted).allSatisfy({ $0.matches($1) }) { return entry.password }
        }
        return nil
    }
}

/// One line of a libpq password file: `host:port:database:user:password`. In the first four
/// fields a field that is exactly `*` matches anything (an escaped `\*` is a literal star), and
/// `\:` and `\\` escape; the password ends at the first unescaped `:`, and a trailing lone `\`
/// is kept. A line with fewer than five fields matches nothing.
struct PasswordFileLine: Equatable {
    struct Field: Equatable {
        let text: String
        let wildcard: Bool
        func matches(_ value: String) -> Bool { wildcard || text == value }
    }

    let fields: [Field]
    let password: String

    init?(_ line: String) {
        var fields: [Field] = []
        var current = ""
        var raw = ""
        var characters = line[...]
        while let character = characters.first {
            characters = characters.dropFirst()
            if character == "\\" {
                guard let next = characters.first else { current.append(character); raw.append(character); break }
                characters = characters.dropFirst()
                current.append(next)
                raw.append(character); raw.append(next)
            } else if character == ":" {
                guard fields.count < 4 else { break }  // the password ends here
                fields.append(Field(text: current, wildcard: raw == "*"))
                current = ""; raw = ""
            } else {
                current.append(character); raw.append(character)
            }
        }
        guard fields.count == 4 else { return nil }
        self.fields = fields
        self.password = current
    }
}
