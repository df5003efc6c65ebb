/// The sequential-access conditions a tape driver must tell apart (SSC-4 4.2 and the
/// sense conditions in scsi-reference.md). Most are not failures: a read that stops at a
/// filemark or a write in the early-warning zone carries CHECK CONDITION with NO SENSE.
public enum TapeCondition: Sendable, Hashable {
    /// A filemark was read (NO SENSE, FILEMARK, 00h/01h).
    case filemark
    /// Early warning / end-of-partition zone on write: writes still succeed
    /// (NO SENSE with EOM, 00h/02h). Report as a flag, not an error.
    case earlyWarning
    /// Beginning of partition reached while spacing or reading backwards (00h/04h).
    case beginningOfPartition
    /// End of data (BLANK CHECK 00h/05h): nothing more is recorded.
    case endOfData
    /// Physical end of medium (VOLUME OVERFLOW, or MEDIUM ERROR with EOM).
    case endOfMedium
    /// READ ILI: the record length differed from the request; `residue` is INFORMATION
    /// (requested − actual; negative when the record was longer than the buffer).
    case incorrectLength(residue: Int64)
    /// Anything else: a real error to report.
    case error

    /// Classifies sense data from a tape drive.
    public init(_ sense: SenseData) {
        switch sense.senseKey {
        case .blankCheck:
            self = .endOfData
        case .volumeOverflow:
            self = .endOfMedium
        case .noSense, .recoveredError:
            if sense.filemark {
                self = .filemark
            } else if sense.incorrectLength {
                self = .incorrectLength(residue: sense.signedInformation ?? 0)
            } else if sense.endOfMedium || sense.additionalSense == .endOfPartitionDetected {
                self = sense.additionalSense == .beginningOfPartitionDetected ? .beginningOfPartition : .earlyWarning
            } else if sense.additionalSense == .beginningOfPartitionDetected {
                self = .beginningOfPartition
            } else if sense.additionalSense == .filemarkDetected {
                self = .filemark
            } else if sense.additionalSense == .endOfDataDetected {
                self = .endOfData
            } else {
                self = .error
            }
        case .mediumError where sense.endOfMedium:
            self = .endOfMedium
        default:
            self = .error
        }
    }
}

extension SenseData {
    /// The sequential-access meaning of this sense data.
    public var tapeCondition: TapeCondition { TapeCondition(self) }
}
