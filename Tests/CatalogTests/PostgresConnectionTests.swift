import Foundation
import GRDB
import Testing
@testable import Catalog
import PostgresTestSupport

/// Catalog URLs: what `--catalog` and TAPELIB_CATALOG_URL accept and refuse (no server needed).
@Suite("Catalog URL")
struct CatalogURLTests {
    let noEnvironment: [String: String] = [:]

    @Test("a full URL gives every field; defaults follow libpq")
    func parsesAURL() throws {
        let location = try CatalogLocation.resolve(
            flag: "postgres://backup@db.example.net:6543/tapes?sslmode=verify-full&sslrootcert=/etc/ca.pem&pool=24&application_name=media-7",
            stateDirectory: "/var/lib/tapelib", environment: noEnvironment)
        #expect(location == .postgres(PostgresCatalogConfiguration(
            host: "db.example.net", port: 6543, user: "backup", database: "tapes", tls: .verifyFull,
            rootCertificatePath: "/etc/ca.pem", poolSize: 24, applicationName: "media-7")))
        let plain = try PostgresCatalogConfiguration(url: "postgresql://backup@db/tapes", environment: noEnvironment)
        #expect(plain.port == 5432 && plain.tls == .prefer && plain.poolSize == 10 && plain.password == nil)
        #expect(plain.displayURL == "postgres://backup@db:5432/tapes?sslmode=prefer")
        // The flag's pool size wins over the URL's.
        #expect(try PostgresCatalogConfiguration(url: "postgres://u@h/d?pool=3", poolSize: 40, environment: noEnvironment).poolSize == 40)
    }

    @Test("no flag: the environment's URL, else the state directory's SQLite file")
    func resolvesTheDefault() throws {
        #expect(try CatalogLocation.resolve(flag: nil, stateDirectory: "/s", environment: [:]) == .sqlite(stateDirectory: "/s"))
        #expect(try CatalogLocation.resolve(flag: "sqlite:/other", stateDirectory: "/s", environment: [:])
                == .sqlite(stateDirectory: "/other"))
        let fromEnvironment = try CatalogLocation.resolve(flag: nil, stateDirectory: "/s",
                                                          environment: ["TAPELIB_CATALOG_URL": "postgres://u@h:1/d?sslmode=disable"])
        #expect(fromEnvironment == .postgres(PostgresCatalogConfiguration(host: "h", port: 1, user: "u", database: "d", tls: .disable)))
    }

    @Test("refused with a message naming what is wrong", arguments: [
        ("mysql://u@h/d", "expected postgres://"),
        ("postgres://u:secret@h/d", "not in the URL"),
        ("postgres://h/d", "names no user"),
        ("postgres://u@h/", "names no database"),
        ("postgres://u@h/d/e", "names no database"),
        ("postgres://u@h/d?sslmode=allow", "sslmode allow"),
        ("postgres://u@h/d?sslrootcert=/x", "needs sslmode=verify-full"),
        ("postgres://u@h/d?pool=0", "outside 1...500"),
        ("postgres://u@h/d?pool=many", "not a number"),
        ("postgres://u@h/d?connect_timeout=3", "unknown option connect_timeout"),
        ("postgres://u@h/d?pool=2&pool=3", "given twice"),
        ("sqlite:", "needs a state directory"),
        ("", "--catalog is empty"),
        ("postgres://u:secret@h:54x2/d", "not a URL with a host"),
        ("postgres://u@%2Fvar%2Frun%2Fpostgresql/d", "Unix-domain sockets are not supported"),
    ])
    func refusesBadURLs(_ url: String, _ expected: String) {
        var message = ""
        do {
            _ = try CatalogLocation.resolve(flag: url, stateDirectory: "/s", environment: [:])
        } catch {
            message = "\(error)"
        }
        #expect(message.contains(expected), "\(url) → \(message)")
        #expect(!message.contains("secret"))
    }

    @Test("explicit flags win: --state-dir over the environment's URL; --catalog with --state-dir is refused")
    func flagsWin() throws {
        let environment = ["TAPELIB_CATALOG_URL": "postgres://u@h/d"]
        #expect(try CatalogLocation.resolve(flag: nil, stateDirectory: "/given", stateDirectoryGiven: true,
                                            environment: environment) == .sqlite(stateDirectory: "/given"))
        var message = ""
        do {
            _ = try CatalogLocation.resolve(flag: "postgres://u@h/d", stateDirectory: "/given", stateDirectoryGiven: true,
                                            environment: [:])
        } catch {
            message = "\(error)"
        }
        #expect(message.contains("name two catalogs"))
        // An empty variable is no URL.
        #expect(try CatalogLocation.resolve(flag: nil, stateDirectory: "/s", environment: ["TAPELIB_CATALOG_URL": ""])
                == .sqlite(stateDirectory: "/s"))
    }

    @Test("an IPv6 host in brackets")
    func ipv6() throws {
        let configuration = try PostgresCatalogConfiguration(url: "postgres://u@[::1]:5433/d", environment: [:])
        #expect(configuration.host == "::1" && configuration.port == 5433)
        #expect(configuration.displayURL == "postgres://u@[::1]:5433/d?sslmode=prefer")
    }

    @Test("a password file line, by libpq's rules", arguments: [
        ("h:5432:d:u:secret", ["h", "5432", "d", "u"], "secret"),
        ("h:5432:d:u:pa\\:ss", ["h", "5432", "d", "u"], "pa:ss"),
        ("h:5432:d:u:pa:ss", ["h", "5432", "d", "u"], "pa"),          // the password ends at an unescaped colon
        ("h:5432:d:u:back\\\\slash\\", ["h", "5432", "d", "u"], "back\\slash\\"),  // a trailing lone backslash stays
        ("*:*:*:*:any", ["x", "1", "y", "z"], "any"),
    ])
    func passwordFileLine(_ line: String, _ matching: [String], _ password: String) throws {
        let entry = try #require(PasswordFileLine(line))
        #expect(entry.password == password)
        #expect(zip(entry.fields, matching).allSatisfy { $0.matches($1) })
    }

    @Test("in a password file, an escaped star is a star, and a short line matches nothing")
    func passwordFileEdges() throws {
        let star = try #require(PasswordFileLine("\\*:5432:d:u:pw"))
        #expect(!star.fields[0].matches("db") && star.fields[0].matches("*"))
        #expect(PasswordFileLine("h:5432:d:only-four") == nil)
    }

    @Test("the password: PGPASSWORD, else the first matching line of a 0600 password file")
    func passwordSources() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/pgpass"
        try """
            # host:port:database:user:password
            other:5432:*:backup:wrong
            db:5432:tapes:backup:pa\\:ss\\\\word
            *:*:*:*:fallback
            """.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let url = "postgres://backup@db/tapes?passfile=\(file)"
        #expect(try PostgresCatalogConfiguration(url: url, environment: [:]).password == "pa:ss\\word")
        #expect(try PostgresCatalogConfiguration(url: "postgres://x@y/z", environment: ["PGPASSFILE": file]).password == "fallback")
        #expect(try PostgresCatalogConfiguration(url: url, environment: ["PGPASSWORD": "from-env"]).password == "from-env")
        #expect(try PostgresCatalogConfiguration(url: url, environment: ["PGPASSWORD": ""]).password == "pa:ss\\word")
        #expect(try PostgresCatalogConfiguration(url: "postgres://x@y/z", environment: ["HOME": directory]).password == nil)
        let home = directory + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "*:*:*:*:from-pgpass\n".write(toFile: home + "/.pgpass", atomically: true, encoding: .utf8)
        chmod(home + "/.pgpass", 0o600)
        #expect(try PostgresCatalogConfiguration(url: "postgres://x@y/z", environment: ["HOME": home]).password == "from-pgpass")
        // ~/.pgpass readable by others is ignored, as libpq does; a named file is refused.
        chmod(home + "/.pgpass", 0o644)
        #expect(try PostgresCatalogConfiguration(url: "postgres://x@y/z", environment: ["HOME": home]).password == nil)
        chmod(file, 0o644)
        var message = ""
        do { _ = try PostgresCatalogConfiguration(url: url, environment: [:]) } catch { message = "\(error)" }
        #expect(message.contains("chmod 0600"))
        message = ""
        do {
            _ = try PostgresCatalogConfiguration(url: "postgres://u@h/d?passfile=\(directory)/missing", environment: [:])
        } catch {
            message = "\(error)"
        }
        #expect(message.contains("missing"))
    }
}

/// Connecting to a real PostgreSQL: TLS as the URL asks, passwords as the server demands.
@Suite("PostgreSQL connection")
struct PostgresConnectionTests {
    /// Whether this connection is encrypted, as the server sees it.
    func encrypted(_ catalog: PostgresCatalog) async throws -> Bool {
        let rows = try await catalog.rows("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        return try #require(rows.first)["ssl"] as Bool
    }

    func certificate() throws -> String {
        try PostgresTestServer.server.get().directory + "/server.crt"
    }

    @Test("sslmode disable, prefer and require: encrypted as asked")
    func tlsModes() async throws {
        for (mode, expected) in [(PostgresCatalogConfiguration.TLSMode.disable, false), (.prefer, true), (.require, true)] {
            let catalog = try await PostgresCatalog.connect(try await PostgresTestServer.makeDatabase(tls: mode))
            #expect(try await encrypted(catalog) == expected, "\(mode)")
            await catalog.close()
        }
    }

    @Test("rows bridge SQLite's affinities; any other column type is refused, not read as text")
    func rowBridge() async throws {
        let catalog = try await PostgresTestServer.makeCatalog()
        let row = try #require(try await catalog.rows(
            "SELECT 42::bigint AS i, 2.5::float8 AS f, true AS b, 'x'::text AS t, '\\x0102'::bytea AS y, NULL::text AS n").first)
        #expect(row["i"] == 42 as Int64 && row["f"] == 2.5 && row["b"] == 1 as Int64 && row["t"] == "x")
        #expect(row["y"] == Data([1, 2]) && row["n"] == nil as String?)
        for expression in ["now()", "1.5::numeric", "ARRAY[1, 2]"] {
            var message = ""
            do { _ = try await catalog.rows("SELECT \(expression) AS v") } catch { message = "\(error)" }
            #expect(message.contains("does not read"), "\(expression): \(message)")
        }
        await catalog.close()
    }

    @Test("verify-full: the server's certificate and host name are checked")
    func verifyFull() async throws {
        var configuration = try await PostgresTestServer.makeDatabase(tls: .verifyFull, host: "localhost")
        configuration.rootCertificatePath = try certificate()
        let catalog = try await PostgresCatalog.connect(configuration)
        #expect(try await encrypted(catalog))
        await catalog.close()
        // The certificate names localhost, not 127.0.0.1.
        var wrongHost = configuration
        wrongHost.host = "127.0.0.1"
        var message = ""
        do { _ = try await PostgresCatalog.connect(wrongHost) } catch { message = "\(error)" }
        #expect(message.contains("cannot connect to the catalog") && message.contains("Hostname"), "\(message)")
        // Not signed by the system's authorities.
        var systemRoots = configuration
        systemRoots.rootCertificatePath = nil
        message = ""
        do { _ = try await PostgresCatalog.connect(systemRoots) } catch { message = "\(error)" }
        #expect(message.contains("cannot connect to the catalog") && message.contains("CERTIFICATE_VERIFY_FAILED"), "\(message)")
    }

    @Test("a role with a password: refused without it, connected with the password file's")
    func password() async throws {
        var configuration = try await PostgresTestServer.makeDatabase(tls: .require)
        let password = "s3cret-\(UUID().uuidString.prefix(8))"
        _ = try await PostgresTestServer.psql(configuration.database, """
            DO $$ BEGIN CREATE ROLE tapelib_password LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            ALTER ROLE tapelib_password PASSWORD '\(password)';
            GRANT ALL ON SCHEMA public TO tapelib_password;
            """)
        configuration.user = "tapelib_password"
        var message = ""
        do { _ = try await PostgresCatalog.connect(configuration) } catch { message = "\(error)" }
        #expect(message.contains("asks for a password"), "\(message)")
        var wrong = configuration
        wrong.password = "not-it"
        message = ""
        do { _ = try await PostgresCatalog.connect(wrong) } catch { message = "\(error)" }
        #expect(message.contains("password authentication failed"), "\(message)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/pgpass"
        try "127.0.0.1:\(configuration.port):\(configuration.database):tapelib_password:\(password)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let parsed = try PostgresCatalogConfiguration(
            url: "postgres://tapelib_password@127.0.0.1:\(configuration.port)/\(configuration.database)?sslmode=require&passfile=\(file)",
            environment: [:])
        let catalog = try await PostgresCatalog.connect(parsed)
        #expect(try await catalog.rows("SELECT current_user AS name").first?["name"] == "tapelib_password")
        await catalog.close()
    }
}
