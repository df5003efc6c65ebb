/// How candidates are offered to an operator adding a library.
public enum CandidateMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each changer with the drives it owns, matched by serial number.
    case automatic
    /// All changers and all drives; the operator pairs them.
    case manual
}

/// The identity a changer reports for one data-transfer element (drive bay): its element
/// address and the drive serial from its DVCID device identifier, if any.
public struct DataTransferElementIdentity: Sendable, Hashable, Codable {
    public var elementAddress: UInt16
    /// Serial number of the drive in this bay as the changer reports it; nil when the changer
    /// returned no device identifier for the element.
    public var serial: String?

    public init(elementAddress: UInt16, serial: String?) {
        self.elementAddress = elementAddress
        self.serial = serial
    }
}

/// A changer with its data-transfer elements in element-address order, as read from READ
/// ELEMENT STATUS with DVCID; or, when that failed, why.
public struct ChangerIdentity: Sendable, Hashable {
    public var changer: DiscoveredDevice
    public var dataTransferElements: [DataTransferElementIdentity]
    /// Set when the changer could not be asked (its elements are then unknown).
    public var queryProblem: String?
    /// Set when the elements are known but the changer would not give device identifiers.
    public var identifierProblem: String?

    public init(changer: DiscoveredDevice, dataTransferElements: [DataTransferElementIdentity],
                queryProblem: String? = nil, identifierProblem: String? = nil) {
        self.changer = changer
        self.dataTransferElements = dataTransferElements
        self.queryProblem = queryProblem
        self.identifierProblem = identifierProblem
    }
}

/// Why a drive bay or a drive was left without a partner.
public struct CandidateProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        /// The changer returned no DVCID identifier for this element.
        public static let noDeviceIdentifier = Code(rawValue: "no-device-identifier")
        /// No drive on this host reports the serial the changer gave for this element.
        public static let driveNotVisible = Code(rawValue: "drive-not-visible")
        /// Several drives report the same serial (e.g. a VTL where all devices share one).
        public static let ambiguousSerial = Code(rawValue: "ambiguous-serial")
        /// The same drive serial appears in more than one data-transfer element.
        public static let claimedTwice = Code(rawValue: "claimed-twice")
        /// The drive has no serial from udev, sysfs or VPD 80h.
        public static let driveHasNoSerial = Code(rawValue: "drive-has-no-serial")
        /// No changer reports this drive's serial.
        public static let notInAnyChanger = Code(rawValue: "not-in-any-changer")
        /// The changer could not be queried for its elements.
        public static let changerNotQueried = Code(rawValue: "changer-not-queried")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// One drive bay of a changer and the drive found in it.
public struct DriveBay: Sendable, Hashable, Codable {
    /// Drives numbered 0… in element-address order (mtx style).
    public var driveNumber: Int
    public var elementAddress: UInt16
    /// The serial the changer reported for the bay.
    public var reportedSerial: String?
    /// The drive on this host with that serial, nil when unmatched (see `problem`).
    public var drive: DiscoveredDevice?
    public var problem: CandidateProblem?
}

/// A changer offered for registration, with its drive bays in automatic mode.
public struct ChangerCandidate: Sendable, Hashable, Codable {
    public var changer: DiscoveredDevice
    /// Empty in manual mode.
    public var bays: [DriveBay]
    public var problem: CandidateProblem?
}

/// A drive offered on its own: in manual mode every drive; in automatic mode the drives that
/// no changer bay claimed, each with the reason.
public struct DriveCandidate: Sendable, Hashable, Codable {
    public var drive: DiscoveredDevice
    public var problem: CandidateProblem?
}

/// What an operator can add as libraries on this host.
public struct Candidates: Sendable, Hashable, Codable {
    public var mode: CandidateMode
    public var changers: [ChangerCandidate]
    public var drives: [DriveCandidate]
}
