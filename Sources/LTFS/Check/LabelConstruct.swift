/// What the first four blocks of a partition amount to.
enum LabelConstruct: Sendable, Hashable {
    /// Block 0 is end of data.
    case blank
    /// VOL1 (LTFS), filemark, label XML, filemark.
    case valid(VOL1Label, LTFSLabel)
    /// Not an LTFS label construct at all (no VOL1, or VOL1 of another implementation).
    case notLTFS(String)
    /// An LTFS VOL1, but the rest of the construct is wrong or unreadable.
    case invalid(String)

    init(_ blocks: [Observed<TapeRead>]) {
        func block(_ i: Int) -> Observed<TapeRead>? { i < blocks.count ? blocks[i] : nil }
        switch block(0) {
        case nil: self = .invalid("block 0 was not read"); return
        case .failed(let why)?: self = .invalid("reading block 0 failed: \(why)"); return
        case .value(.endOfData)?: self = .blank; return
        case .value(.filemark)?: self = .notLTFS("block 0 is a filemark, not a VOL1 label"); return
        case .value(.record(let bytes))?:
            let vol1: VOL1Label
            do {
                vol1 = try VOL1Label.decode(bytes)
            } catch {
                self = .notLTFS("block 0 is not a VOL1 label (\(error))")
                return
            }
            guard vol1.isLTFS else {
                self = .notLTFS("VOL1 lacks the LTFS implementation identifier (it says \"\(vol1.implementationIdentifier)\")")
                return
            }
            guard case .value(.filemark)? = block(1) else {
                self = .invalid("block 1 is not the filemark after VOL1 (\(Self.describe(block(1))))")
                return
            }
            guard case .value(.record(let xml))? = block(2) else {
                self = .invalid("block 2 is not the label XML (\(Self.describe(block(2))))")
                return
            }
            let label: LTFSLabel
            do {
                label = try LTFSLabel.decode(xml)
            } catch {
                self = .invalid("label XML: \(error)")
                return
            }
            guard case .value(.filemark)? = block(3) else {
                self = .invalid("block 3 is not the filemark after the label (\(Self.describe(block(3))))")
                return
            }
            self = .valid(vol1, label)
        }
    }

    static func describe(_ read: Observed<TapeRead>?) -> String {
        switch read {
        case nil: return "not read"
        case .failed(let why)?: return "read failed: \(why)"
        case .value(.endOfData)?: return "end of data"
        case .value(.filemark)?: return "a filemark"
        case .value(.record(let b))?: return "a record of \(b.count) bytes"
        }
    }
}

/// The newest index of one partition as judged.
enum IndexFinding: Sendable, Hashable {
    /// No index construct after the label construct; `blocksAfter` blocks follow the last filemark.
    case none(blocksAfter: UInt64)
    case invalid(String)
    case valid(LTFSIndex, blocksAfter: UInt64)

    var index: LTFSIndex? {
        if case .valid(let index, _) = self { return index }
        return nil
    }
}
