import Catalog
import Discovery

/// The devices of one library as the service tracks them: by serial number, because the sg
/// node of a device can change across a reconnect and its serial does not.
public struct LibraryBinding: Sendable, Equatable {
    public struct Drive: Sendable, Equatable {
        public var driveID: Int64
        /// Data-transfer element address of the drive in the changer, when known.
        public var elementAddress: Int?
        public var device: RegisteredDevice
    }

    public var libraryID: Int64
    public var changerID: Int64
    public var changer: RegisteredDevice
    public var drives: [Int64: Drive]

    /// The catalog rows a tracked device stands for.
    func entities(of device: RegisteredDevice) -> [BoundEntity] {
        var found: [BoundEntity] = []
        if device == changer { found.append(.changer(changerID, library: libraryID)) }
        for drive in drives.values where drive.device == device {
            found.append(.drive(drive.driveID, library: libraryID))
        }
        return found
    }
}

/// A catalog row bound to a physical device.
enum BoundEntity: Sendable, Hashable {
    case changer(Int64, library: Int64)
    case drive(Int64, library: Int64)
}
