import SCSI

/// Element type codes (SMC-3 table 22).
public enum ElementType: UInt8, Sendable, Hashable, CaseIterable {
    case transport = 1, storage = 2, importExport = 3, dataTransfer = 4
}

/// A medium transport, storage or import/export element and what it holds.
struct ElementSlot {
    var cartridge: Cartridge?
    /// The element the medium was last moved from (SVALID + source address).
    var source: UInt16?
    /// ASC/ASCQ when the element is in an abnormal state (EXCEPT bit).
    var exception: AdditionalSense?
}

/// A long operation started with IMMED (or a cleaning cycle): the drive answers NOT READY
/// until virtual time reaches `end`.
struct BusyOperation {
    enum Kind { case erase, format, rewind, load, locate, cleaning }
    var kind: Kind
    var start: Duration
    var end: Duration
    var notReady: AdditionalSense {
        notReadyCondition
    }
}

/// One tape drive: its data transfer element and its SSC device state.
final class DriveUnit {
    let index: Int
    var profile: DriveProfile
    /// The cartridge in the drive (threaded or waiting to be taken after an eject).
    var cartridge: Cartridge?
    var threaded = false
    var source: UInt16?
    var exception: AdditionalSense?

    // Position.
    var partition = 0
    var position = 0

    // Mode parameters.
    var blockLength = 0          // 0 = variable
    var compression = true
    /// Partition sizes selected with MODE SELECT page 11h, applied by FORMAT MEDIUM.
    var pendingPartitionSizes: [Int64?]? = nil

    var unitAttentions: [SenseData] = []
    /// A condition reported once by the next command (a failed load).
    var deferredSense: SenseData?
    var busy: BusyOperation?
    var preventRemoval = false
    var tapeAlerts = Set<UInt8>()
    var needsCleaning = false
    var changedThisMount = false

    // Statistics for log pages 0Ch and 17h.
    var mountBytesWritten: Int64 = 0
    var mountBytesRead: Int64 = 0
    var bytesFromInitiator: Int64 = 0
    var bytesToInitiator: Int64 = 0

    init(index: Int, profile: DriveProfile) {
        self.index = index
        self.profile = profile
    }

    var generation: LTOGeneration { profile.generation }
    /// The threaded cartridge, if the drive is ready for media access.
    var mounted: Cartridge? { threaded ? cartridge : nil }
}
