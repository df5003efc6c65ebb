import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The request context: who sent the request (set once the route has checked the token), for
/// the handler and for the access log, which sees the same box.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let caller: CallerBox
    /// Whether the peer is on loopback (`/metrics` answers it without a token).
    let peerIsLoopback: Bool

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = CallerBox()
        switch source.channel.remoteAddress {
        case .v4(let address)?:
            peerIsLoopback = address.host.hasPrefix("127.")
        case .v6(let address)?:
            peerIsLoopback = address.host == "::1" || address.host.hasPrefix("::ffff:127.")
        case .unixDomainSocket?:
            peerIsLoopback = true
        case nil:
            // The in-process test framework's channel has no peer.
            peerIsLoopback = true
        }
    }

    /// Bodies are read by the routes, up to the configured limit.
    public var maxUploadSize: Int { 1 << 20 }
}

/// The caller of a request, shared by the route and the access log.
final class CallerBox: Sendable {
    private let value = NIOLockedValueBox<Identity?>(nil)
    var identity: Identity? {
        get { value.withLockedValue { $0 } }
        set { value.withLockedValue { $0 = newValue } }
    }
}
