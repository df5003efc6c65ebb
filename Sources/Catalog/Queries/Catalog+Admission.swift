import Foundation
import GRDB

/// How a media server is let into a catalog (seed: media_servers/authorize,
/// unauthorised_media_servers). The first media server of a catalog joins by starting; a later
/// one under a new host name asks, and waits until an administrator authorises it.
public enum MediaServerAdmission: Sendable, Equatable {
    /// In the catalog as media server `id` (already there, or the catalog's first).
    case admitted(id: Int64, first: Bool)
    /// Waiting for authorisation; its request is `request`.
    case waiting(UnauthorisedMediaServer)
}
