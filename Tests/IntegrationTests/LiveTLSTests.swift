import Foundation
import Testing

/// `tapelib serve --tls-cert --tls-key` as a client sees it, with curl (a client nobody here
/// wrote) and a certificate made by openssl: HTTPS answers, the session cookies are Secure, an
/// untrusted certificate and plain HTTP are refused; and a non-loopback bind without TLS warns.
@Suite(.timeLimit(.minutes(5))) struct LiveTLSTests {
    @Test func httpsWithACertificateTheClientTrusts() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let certificate = state.appendingPathComponent("cert.pem").path
        let key = state.appendingPathComponent("key.pem").path
        let made = try await CLI.runTool("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        try #require(made.status == 0, "openssl: \(made.stderr)")

        let served = try await ServeProcess.start(["--tls-cert", certificate, "--tls-key", key], state: state, scheme: "https")
        let base = "https://127.0.0.1:\(served.port)"
        let headers = state.appendingPathComponent("headers.txt").path
        let login = try await CLI.runTool("curl", [
            "-sS", "--cacert", certificate, "-D", headers, "-X", "POST", base + "/api/v1/auth/login",
            "-H", "Content-Type: application/json", "-d", #"{"rubackup_user": "admin", "password": "\#(ServeProcess.adminPassword)"}"#])
        #expect(login.status == 0, "curl: \(login.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(login.stdout.utf8)) as? [String: Any])
        let session = try #require(answer["data"] as? [String: Any], "\(answer)")
        let token = try #require(session["access_token"] as? String)
        let csrf = try #require(session["csrf_token"] as? String)
        // Under HTTPS the session cookies carry Secure (and HttpOnly).
        let cookies = try String(contentsOfFile: headers, encoding: .utf8).split(whereSeparator: \.isNewline)
            .filter { $0.lowercased().hasPrefix("set-cookie:") }
        #expect(cookies.contains { $0.contains("access_token_cookie=") })
        #expect(!cookies.isEmpty && cookies.allSatisfy { $0.contains("Secure") && $0.contains("HttpOnly") }, "\(cookies)")

        let libraries = try await CLI.runTool("curl", [
            "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificate,
            "-H", "Authorization: Bearer \(token)", "-H", "X-CSRF-TOKEN: \(csrf)", base + "/api/v1/tape_libraries"])
        #expect(libraries.stdout == "200", "\(libraries.stderr)")
        // Without the certificate the client cannot verify the server (curl: 60, peer certificate).
        let untrusted = try await CLI.runTool("curl", ["-sS", "-o", "/dev/null", base + "/api/v1/server_hello"])
        #expect(untrusted.status == 60, "\(untrusted.status) \(untrusted.stderr)")
        // Plain HTTP to the TLS port gets no HTTP answer.
        let plain = try await CLI.runTool("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30",
                                                   "http://127.0.0.1:\(served.port)/api/v1/server_hello"])
        #expect(plain.status != 0 || plain.stdout == "000", "\(plain.status) \(plain.stdout)")
        let status = served.stop()
        #expect(status == 0, "\((try? String(contentsOf: served.log, encoding: .utf8)) ?? "")")
    }

    @Test func aNonLoopbackAddressWithoutTLSIsWarnedAbout() async throws {
        let state = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let served = try await ServeProcess.start(["--host", "0.0.0.0"], state: state, scheme: "http")
        let log = try String(contentsOf: served.log, encoding: .utf8)
        #expect(log.contains("without TLS"), "\(log)")
        let status = served.stop()
        #expect(status == 0, "\((try? String(contentsOf: served.log, encoding: .utf8)) ?? "")")
    }
}
