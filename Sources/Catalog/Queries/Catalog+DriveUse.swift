import Foundation
import GRDB

/// What a drive can do with a cartridge, per the catalog's compatibility matrix.
public struct MediumAccess: Sendable, Equatable {
    /// The cartridge's type, nil when its barcode follows no known convention.
    public var type: TapeType?
    public var canRead: Bool
    public var canWrite: Bool
}
