/// How a device is named on the command line and in the catalog (architecture.md,
/// "Devices are addressed by URL").
public enum DeviceAddress: Sendable, Hashable, CustomStringConvertible {
    /// `/dev/sgN` or `/dev/tape/by-id/...`: real SG_IO.
    case sg(path: String)
    /// `sim:PROFILE`: an in-process simulator.
    case simulator(profile: String)
    /// `hwsim:SOCKET#N`: device N of a hwsim server (0 = changer, 1… = drives).
    case hwsim(socket: String, device: Int)
    /// `iscsi://HOST:PORT/IQN/LUN`.
    case iscsi(host: String, port: Int, iqn: String, lun: Int)

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var input: String
        public var reason: String
        public var description: String { "invalid device '\(input)': \(reason)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> DeviceAddress {
        func fail(_ reason: String) -> ParseError { ParseError(input: text, reason: reason) }
        if text.hasPrefix("/") {
            guard !text.contains("\0") else { throw fail("path contains NUL") }
            return .sg(path: text)
        }
        if text.hasPrefix("sim:") {
            let profile = String(text.dropFirst(4))
            guard !profile.isEmpty,
                  profile.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." || $0 == "/" })
            else { throw fail("expected sim:PROFILE (autoloader, midsize, large or a profile file)") }
            return .simulator(profile: profile)
        }
        if text.hasPrefix("hwsim:") {
            let rest = text.dropFirst(6)
            guard let hash = rest.lastIndex(of: "#") else {
                throw fail("expected hwsim:SOCKET#N")
            }
            let socket = String(rest[..<hash])
            guard !socket.isEmpty else { throw fail("missing socket path") }
            guard let n = Int(rest[rest.index(after: hash)...]), n >= 0 else {
                throw fail("device number after '#' must be a non-negative integer")
            }
            return .hwsim(socket: socket, device: n)
        }
        if text.hasPrefix("iscsi://") {
            let rest = text.dropFirst(8)
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { throw fail("expected iscsi://HOST:PORT/IQN/LUN") }
            let hostPort = parts[0]
            var host = String(hostPort)
            var port = 3260
            if let colon = hostPort.lastIndex(of: ":") {
                host = String(hostPort[..<colon])
                guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                    throw fail("port must be 1–65535")
                }
                port = p
            }
            guard !host.isEmpty else { throw fail("missing host") }
            guard !parts[1].isEmpty else { throw fail("missing IQN") }
            guard let lun = Int(parts[2]), lun >= 0 else { throw fail("LUN must be a non-negative integer") }
            return .iscsi(host: host, port: port, iqn: String(parts[1]), lun: lun)
        }
        throw fail("expected /dev/sgN, sim:PROFILE, hwsim:SOCKET#N or iscsi://HOST:PORT/IQN/LUN")
    }

    public var description: String {
        switch self {
        case .sg(let path): return path
        case .simulator(let profile): return "sim:\(profile)"
        case .hwsim(let socket, let device): return "hwsim:\(socket)#\(device)"
        case .iscsi(let host, let port, let iqn, let lun): return "iscsi://\(host):\(port)/\(iqn)/\(lun)"
        }
    }
}
