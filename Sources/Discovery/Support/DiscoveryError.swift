/// A failure of discovery itself (not of a device it found).
public struct DiscoveryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Extensible error code: new codes do not break callers that switch on the known ones.
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let udevUnavailable = Code(rawValue: "udev-unavailable")
        public static let deviceNotFound = Code(rawValue: "device-not-found")
        public static let notAChanger = Code(rawValue: "not-a-changer")
        public static let deviceQueryFailed = Code(rawValue: "device-query-failed")
        public static let io = Code(rawValue: "io")
    }

    public var code: Code
    public var message: String
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        guard let errno else { return message }
        return "\(message) (errno \(errno))"
    }
}
