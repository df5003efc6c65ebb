import SCSI

/// Why an LTFS XML document could not be read.
public enum LTFSXMLError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformed(String)
    case unexpectedRoot(String)
    case missingElement(String)
    case invalidValue(element: String, value: String)
    case unsupportedVersion(String)
    case invalidTime(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "XML is not well-formed (\(why))"
        case .unexpectedRoot(let name): return "unexpected root element <\(name)>"
        case .missingElement(let path): return "element \(path) is missing"
        case .invalidValue(let element, let value): return "element \(element) has an invalid value \"\(value)\""
        case .unsupportedVersion(let v): return "format version \(v) is not supported"
        case .invalidTime(let t): return "\"\(t)\" is not an LTFS time"
        }
    }
}

/// Why a VOL1 record is not an LTFS volume label.
public enum LTFSLabelError: Error, Sendable, Hashable, CustomStringConvertible {
    case vol1WrongLength(Int)
    case vol1NotVOL1

    public var description: String {
        switch self {
        case .vol1WrongLength(let n): return "VOL1 record is \(n) bytes, not 80"
        case .vol1NotVOL1: return "record does not start with VOL1"
        }
    }
}

/// Why a format was refused or failed.
public enum LTFSFormatError: Error, Sendable, CustomStringConvertible {
    case unsupportedGeneration(Int)
    case unknownGeneration
    case wormMedium
    case writeProtected
    case cartridgeHoldsData(String)
    case invalidBarcode(String)
    case invalidVolumeName(String)
    case invalidBlockSize(Int)
    case partitioningRefused(String)
    case partitioningIncomplete(partitions: Int)
    case device(step: String, error: String)
    /// A command the drive refused during `step`, with its decoded sense.
    case command(step: String, error: SCSIError)

    public var description: String {
        switch self {
        case .unsupportedGeneration(let g):
            return "LTO-\(g) cartridges cannot be partitioned; LTFS needs LTO-5 or later"
        case .unknownGeneration:
            return "the cartridge's LTO generation is unknown; LTFS needs LTO-5 or later"
        case .wormMedium: return "the cartridge is WORM media; LTFS cannot be formatted on it"
        case .writeProtected: return "the cartridge is write-protected"
        case .cartridgeHoldsData(let what):
            return "the cartridge already holds data (\(what)); formatting needs an explicit force"
        case .invalidBarcode(let b):
            return "barcode \"\(b)\" does not start with six upper-case letters or digits (the VOL1 volume serial)"
        case .invalidVolumeName(let why): return "invalid volume name: \(why)"
        case .invalidBlockSize(let n): return "block size \(n) is invalid (at least 4096 bytes, at most 1 MiB)"
        case .partitioningRefused(let why): return "the drive refused the medium partition page: \(why)"
        case .partitioningIncomplete(let n): return "after FORMAT MEDIUM the cartridge has \(n) partition(s), not 2"
        case .device(let step, let error): return "\(step) failed: \(error)"
        case .command(let step, let error):
            let text = error.description
            // "FORMAT MEDIUM failed: FORMAT MEDIUM failed: …" says the step once.
            return text.hasPrefix(step + " failed") ? text : "\(step) failed: \(text)"
        }
    }
}

/// An error of an LTFS operation made of device steps: a command the drive refused (with its
/// sense) or another failure, each naming the step.
protocol LTFSStepError: Error {
    static func command(step: String, error: SCSIError) -> Self
    static func device(step: String, error: String) -> Self
}

extension LTFSFormatError: LTFSStepError {}
extension LTFSAppendError: LTFSStepError {}

/// Runs one device step of an LTFS operation, naming it in the error.
func ltfsStep<T, E: LTFSStepError>(_ name: String, as _: E.Type, _ body: () async throws -> T) async throws(E) -> T {
    do {
        return try await body()
    } catch let error as SCSIError {
        throw E.command(step: name, error: error)
    } catch {
        throw E.device(step: name, error: "\(error)")
    }
}
