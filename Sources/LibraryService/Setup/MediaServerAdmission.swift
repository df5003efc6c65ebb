import Catalog
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// This media server's row in the catalog: known at once when it was admitted at start, or once
/// an administrator has authorised it (`POST media_servers/authorize`).
public final class MediaServerMembership: Sendable {
    private let id: Mutex<Int64?>

    public init(mediaServerID: Int64?) { id = Mutex(mediaServerID) }

    /// The media server's id; nil while it waits for authorisation.
    public var mediaServerID: Int64? { id.withLock { $0 } }

    func admit(_ value: Int64) { id.withLock { $0 = value } }
}

/// Runs in the service group of a media server that waits for authorisation: looks for its row
/// each poll (an authorisation through any node's API, or this one's), then attaches its
/// libraries as a start would have (a simulated library is registered) and ends. Until then the
/// API answers and the engine has no library: no hardware task runs on an unauthorised node.
struct AuthorisationWait: Service {
    let catalog: TapeCatalog
    let hostname: String
    let membership: MediaServerMembership
    let pollInterval: Duration
    let attach: @Sendable (Int64) async throws -> [Int64]
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    let found: MediaServer?
                    do { found = try await catalog.mediaServer(hostname: hostname) } catch {
                        if Task.isCancelled { return }
                        logger.error("reading this media server's row failed (tried again): \(error)")
                        found = nil
                    }
                    if let server = found, let id = server.id {
                        membership.admit(id)
                        do {
                            let attached = try await attach(id)
                            logger.notice("media server \(hostname) was authorised as media server \(id); serving tape libraries \(attached)")
                        } catch is CancellationError {
                            throw CancellationError()
                        } catch {
                            // The API goes on; a library the operator adds later is attached then.
                            logger.error("media server \(hostname) was authorised as media server \(id), but its libraries could not be attached: \(error)")
                        }
                        return
                    }
                    try await Task.sleep(for: pollInterval)
                }
            }
        } catch is CancellationError {
            return
        }
    }
}

/// Stops the service when another process takes this media server's claim on a shared catalog
/// (`TapeCatalog.holdMediaServerLock`'s `lost`: this process's connection holding it was down
/// meanwhile): that process now drives the hardware. At once nothing new starts (`stopClaiming`:
/// the engine dispatches no further task, though its turn in the shutdown comes last); the
/// failure then shuts the group down gracefully — robot work in flight finishes — and `serve`
/// exits with the error.
final class MediaServerLockWatch: Service, Sendable {
    private let losses: AsyncStream<CatalogError>
    private let continuation: AsyncStream<CatalogError>.Continuation
    private let stopClaiming: @Sendable () -> Void

    init(stopClaiming: @escaping @Sendable () -> Void) {
        (losses, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.stopClaiming = stopClaiming
    }

    /// Called by the catalog when the claim is lost.
    func lost(_ error: CatalogError) {
        stopClaiming()
        continuation.yield(error)
    }

    func run() async throws {
        for await error in losses.cancelOnGracefulShutdown() {
            throw ServiceError(.conflict, error.description)
        }
    }
}
