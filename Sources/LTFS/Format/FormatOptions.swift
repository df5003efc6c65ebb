/// What the user chooses when formatting (mkltfs's options that RuBackup uses).
public struct LTFSFormatOptions: Sendable, Hashable {
    /// The volume name (the root directory's name and MAM 0803h); nil leaves it empty.
    public var volumeName: String?
    /// The barcode; nil uses the one the cartridge reports. Its first six characters become
    /// the VOL1 volume serial.
    public var barcode: String?
    public var blockSize: Int
    public var compression: Bool
    public var dataPlacementPolicy: LTFSDataPlacementPolicy?
    /// MAM 0808h media pool text.
    public var mediaPool: String?
    /// Format even when the cartridge already holds data.
    public var force: Bool

    public init(volumeName: String? = nil, barcode: String? = nil, blockSize: Int = LTFSLabel.defaultBlockSize,
                compression: Bool = true, dataPlacementPolicy: LTFSDataPlacementPolicy? = nil,
                mediaPool: String? = nil, force: Bool = false) {
        self.volumeName = volumeName
        self.barcode = barcode
        self.blockSize = blockSize
        self.compression = compression
        self.dataPlacementPolicy = dataPlacementPolicy
        self.mediaPool = mediaPool
        self.force = force
    }

    public static let maximumBlockSize = 1_048_576

    /// Checks the options that do not depend on the cartridge.
    public func validate() throws(LTFSFormatError) {
        guard blockSize >= LTFSLabel.minimumBlockSize, blockSize <= Self.maximumBlockSize else {
            throw .invalidBlockSize(blockSize)
        }
        if let volumeName {
            guard volumeName.utf8.count <= 255 else { throw .invalidVolumeName("longer than 255 bytes") }
            guard !volumeName.contains("/") else { throw .invalidVolumeName("contains '/'") }
            // Characters XML 1.0 cannot carry (C0 controls other than tab and newlines).
            guard !volumeName.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0xFFFE || $0.value == 0xFFFF }) else {
                throw .invalidVolumeName("contains control characters")
            }
        }
        if let barcode { _ = try VOL1Label(barcode: barcode) }
    }
}

/// Who wrote the volume: the `creator` element and the application MAM attributes.
public struct LTFSCreatorIdentity: Sendable, Hashable {
    public var vendor: String
    public var applicationName: String
    public var applicationVersion: String
    public var creator: String

    public init(vendor: String, applicationName: String, applicationVersion: String, creator: String) {
        self.vendor = vendor
        self.applicationName = applicationName
        self.applicationVersion = applicationVersion
        self.creator = creator
    }

    public static let tapelib = LTFSCreatorIdentity(
        vendor: "TAPELIB", applicationName: "tapelib", applicationVersion: "0.1.0",
        creator: "tapelib 0.1.0 - Linux - ltfs format")
}
