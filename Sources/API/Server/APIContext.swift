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

/// What the route learns of a request (who sent it, which operation it is), shared with the
/// access log and the metrics, which see the context from outside the route.
final class CallerBox: Sendable {
    private let value = NIOLockedValueBox<(identity: Identity?, route: String?)>((nil, nil))
    var identity: Identity? {
        get { value.withLockedValue { $0.identity } }
        set { value.withLockedValue { $0.identity = newValue } }
    }
    /// The matched operation's path template (`/api/v1/tape_libraries/{id}`).
    var route: String? {
        get { value.withLockedValue { $0.route } }
        set { value.withLockedValue { $0.route = newValue } }
    }
}
