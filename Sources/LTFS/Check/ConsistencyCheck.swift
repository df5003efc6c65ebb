/// Judges what `LTFSVolumeReader` read, in the order of ltfs.md "What a check looks at":
/// partitions, label constructs, end of data, newest index per partition, data after the
/// last index, which index is current, volume coherency attributes. Pure: no device.
public enum LTFSConsistencyCheck {
    public static func evaluate(_ reading: VolumeReading) -> LTFSCheckReport {
        var judge = Judgement()
        judge.run(reading)
        return judge.report
    }
}

private struct Judgement {
    var verdict: LTFSVerdict = .consistent
    var problems: [String] = []
    var repairs: [String] = []
    var details: LTFSVolumeDetails?

    var report: LTFSCheckReport {
        LTFSCheckReport(verdict: verdict, problems: problems, repairs: repairs, volume: details)
    }

    mutating func flag(_ level: LTFSVerdict, _ problem: String, repair: String? = nil) {
        verdict = max(verdict, level)
        problems.append(problem)
        if let repair, !repairs.contains(repair) { repairs.append(repair) }
    }

    mutating func run(_ reading: VolumeReading) {
        guard case .value = reading.cartridge else {
            if case .failed(let why) = reading.cartridge { flag(.inconsistent, "the cartridge could not be loaded or identified: \(why)") }
            return
        }
        guard case .value(let capacities) = reading.capacities else {
            if case .failed(let why) = reading.capacities { flag(.inconsistent, "partition capacities (log page 31h) could not be read: \(why)") }
            return
        }

        // 1. Two partitions with capacity.
        let partitioned = capacities.filter { $0.maximum > 0 && $0.partition <= 1 }.count >= 2
        guard partitioned, reading.partitions.count >= 2 else {
            let first = reading.partitions.first.map { LabelConstruct($0.labelBlocks) }
            if first == nil || first == .blank {
                flag(.blank, "the cartridge is blank and not partitioned")
            } else {
                flag(.notLTFS, "the cartridge is not partitioned (LTFS needs two partitions) and holds data")
            }
            return
        }

        // 2. Label constructs.
        let constructs = reading.partitions.map { LabelConstruct($0.labelBlocks) }
        if constructs.allSatisfy({ $0 == .blank }) {
            flag(.blank, "the cartridge is partitioned but blank")
            return
        }
        var labels: [(VOL1Label, LTFSLabel)] = []
        for (partition, construct) in zip(reading.partitions, constructs) {
            let name = "partition \(partition.partition)"
            switch construct {
            case .valid(let vol1, let label): labels.append((vol1, label))
            case .blank: flag(.inconsistent, "\(name) is blank: its label construct is missing")
            case .notLTFS(let why): flag(.inconsistent, "\(name): \(why)")
            case .invalid(let why): flag(.inconsistent, "\(name): \(why)")
            }
        }
        if labels.isEmpty {
            verdict = .notLTFS
            return
        }
        guard labels.count == 2 else { return }
        guard let volume = compareLabels(labels, partitions: reading.partitions) else { return }

        // Details from the labels; indexes and attributes are added below.
        let (vol1, label) = labels[0]
        details = LTFSVolumeDetails(
            volumeUUID: label.volumeUUID, volumeName: Self.nonEmpty(reading.mamVolumeName.value??.stringValue),
            volumeSerial: vol1.volumeSerial,
            barcode: Self.nonEmpty(reading.mamBarcode.value??.stringValue), blockSize: label.blockSize,
            compression: label.compression, formatTime: label.formatTime.formatted, formatVersion: label.version,
            creator: label.creator, indexes: [], currentIndex: nil, coherency: [],
            volumeChangeReference: reading.volumeChangeReference.value??.integerValue)

        // 3. End of data on both partitions.
        for partition in reading.partitions {
            let role = volume.role(of: partition.partition)
            if case .value(.missing) = partition.endOfDataStatus {
                flag(.inconsistent, "\(role) end of data is missing; recovering it needs a deep recovery")
            } else if case .failed(let why)? = partition.endOfData {
                flag(.inconsistent, "\(role): locating end of data failed: \(why)")
            }
        }
        guard verdict < .inconsistent else { return }

        // 4. Newest index on each partition.
        var findings: [UInt8: IndexFinding] = [:]
        var endOfData: [UInt8: UInt64] = [:]
        for partition in reading.partitions {
            endOfData[partition.partition] = partition.endOfData?.value
            findings[partition.partition] = judgeIndex(partition, volume: volume)
        }
        let dp = findings[volume.dataPartition] ?? .none(blocksAfter: 0)
        let ip = findings[volume.indexPartition] ?? .none(blocksAfter: 0)
        for finding in [ip, dp] {
            if let index = finding.index { details?.indexes.append(Self.summary(index)) }
        }
        let ipEnd = endOfData[volume.indexPartition] ?? 0
        let dpEnd = endOfData[volume.dataPartition] ?? 0
        let ipLetter = volume.indexLetter, dpLetter = volume.dataLetter
        let coherencyRepair = "rewrite the volume coherency attributes (080Ch) of both partitions"

        // 5./6. Data after the last index, and which index is current.
        guard case .valid(let dpIndex, let dpAfter) = dp else {
            switch dp {
            case .none: flag(.inconsistent, "the data partition holds no index")
            case .invalid(let why): flag(.inconsistent, "the data partition's newest index is invalid: \(why)")
            case .valid: break
            }
            return
        }
        var current = dpIndex
        let ipRewriteBlock: UInt64
        switch ip {
        case .valid(let ipIndex, let ipAfter):
            ipRewriteBlock = ipIndex.location.startBlock
            if ipIndex.generation >= dpIndex.generation && ipIndex.previousGenerationLocation == dpIndex.location {
                current = ipIndex
            } else if dpIndex.generation > ipIndex.generation {
                flag(.recoverable,
                     "the data partition holds a newer index (generation \(dpIndex.generation)) than the index partition (generation \(ipIndex.generation))",
                     repair: "write the data partition's generation \(dpIndex.generation) index to the index partition at \(ipLetter)/\(ipRewriteBlock)")
            } else {
                flag(.inconsistent,
                     "the index partition's generation \(ipIndex.generation) index points at \(ipIndex.previousGenerationLocation?.description ?? "nothing") as its previous generation, but the data partition's newest index is generation \(dpIndex.generation) at \(dpIndex.location)")
            }
            if ipAfter > 0 {
                flag(.recoverable, "\(ipAfter) block(s) on the index partition follow its last index")
            }
        case .none:
            ipRewriteBlock = ipEnd
            flag(.recoverable, "the index is missing on the index partition",
                 repair: "write the data partition's generation \(dpIndex.generation) index to the index partition at \(ipLetter)/\(ipRewriteBlock)")
        case .invalid(let why):
            ipRewriteBlock = ipEnd
            flag(.recoverable, "the index partition's index is invalid: \(why)",
                 repair: "write the data partition's generation \(dpIndex.generation) index to the index partition")
        }
        if dpAfter > 0 {
            let newGeneration = max(dpIndex.generation, current.generation) + 1
            let closed = reading.partitions.first { $0.partition == volume.dataPartition }?.lastIndex?.endsWithFilemark ?? false
            // The index construct starts with a filemark; when the data already ends with one,
            // the new index goes straight to end of data.
            let write = closed
                ? "write a new generation \(newGeneration) index at \(dpLetter)/\(dpEnd)"
                : "write a filemark at \(dpLetter)/\(dpEnd), a new generation \(newGeneration) index at \(dpLetter)/\(dpEnd + 1)"
            flag(.recoverable,
                 "unflushed data: \(dpAfter) block(s) on the data partition after its last index (generation \(dpIndex.generation) at \(dpIndex.location))",
                 repair: write + " and on the index partition at \(ipLetter)/\(ipRewriteBlock)")
        }
        if verdict >= .inconsistent { return }
        details?.currentIndex = Self.summary(current)
        details?.volumeName = current.volumeName ?? Self.nonEmpty(reading.mamVolumeName.value??.stringValue)

        // 7. Volume coherency attributes against the indexes found.
        let vcr = reading.volumeChangeReference.value??.integerValue
        guard let vcr, vcr != 0, vcr != 0xFFFF_FFFF else {
            if verdict == .recoverable, !repairs.contains(coherencyRepair) { repairs.append(coherencyRepair) }
            return
        }
        for (number, finding) in [(volume.indexPartition, ip), (volume.dataPartition, dp)] {
            let letter = volume.letter(of: number)
            let expected = finding.index
            switch reading.coherency[number] ?? .value(nil) {
            case .failed(let why):
                flag(.recoverable, "the volume coherency attribute of partition \(letter) could not be read: \(why)",
                     repair: coherencyRepair)
            case .value(nil):
                flag(.recoverable, "the volume coherency attribute (080Ch) of partition \(letter) is missing",
                     repair: coherencyRepair)
            case .value(let attribute?):
                guard let coherency = try? VolumeCoherency.decode(value: attribute.value) else {
                    flag(.recoverable, "the volume coherency attribute of partition \(letter) is not LTFS's",
                         repair: coherencyRepair)
                    continue
                }
                details?.coherency.append(LTFSCoherencySummary(
                    partition: String(letter), volumeChangeReference: coherency.volumeChangeReference,
                    generation: coherency.generation, indexStartBlock: coherency.indexStartBlock,
                    volumeUUID: coherency.volumeUUID))
                if coherency.volumeUUID != volume.uuid {
                    flag(.recoverable, "the volume coherency attribute of partition \(letter) names volume \(coherency.volumeUUID)",
                         repair: coherencyRepair)
                } else if let expected,
                          coherency.generation != expected.generation || coherency.indexStartBlock != expected.location.startBlock {
                    flag(.recoverable,
                         "the volume coherency attribute of partition \(letter) records generation \(coherency.generation) at block \(coherency.indexStartBlock), but the newest index there is generation \(expected.generation) at block \(expected.location.startBlock)",
                         repair: coherencyRepair)
                } else if expected != nil, coherency.volumeChangeReference != vcr {
                    flag(.recoverable,
                         "the volume change reference recorded for partition \(letter) (\(coherency.volumeChangeReference)) differs from the cartridge's (\(vcr)): it was written after LTFS last recorded its state",
                         repair: coherencyRepair)
                }
            }
        }
        if verdict == .recoverable, !repairs.contains(coherencyRepair) { repairs.append(coherencyRepair) }
    }

    /// The two labels must agree on everything but their location (ltfs.md, check step 2).
    mutating func compareLabels(_ labels: [(VOL1Label, LTFSLabel)], partitions: [PartitionReading]) -> VolumeRoles? {
        let (vol0, l0) = labels[0], (vol1, l1) = labels[1]
        let p0 = partitions[0].partition, p1 = partitions[1].partition
        var disagreements: [String] = []
        func compare<T: Equatable>(_ what: String, _ a: T, _ b: T, _ show: (T) -> String) {
            if a != b { disagreements.append("\(what) is \(show(a)) on partition \(p0) and \(show(b)) on partition \(p1)") }
        }
        compare("volume serial", vol0.volumeSerial, vol1.volumeSerial) { "\"\($0)\"" }
        compare("volume UUID", l0.volumeUUID, l1.volumeUUID) { $0 }
        compare("format time", l0.formatTime, l1.formatTime) { $0.formatted }
        compare("block size", l0.blockSize, l1.blockSize) { String($0) }
        compare("compression", l0.compression, l1.compression) { String($0) }
        compare("version", l0.version, l1.version) { $0 }
        compare("index partition", l0.indexPartition, l1.indexPartition) { String($0) }
        compare("data partition", l0.dataPartition, l1.dataPartition) { String($0) }
        if l0.location == l1.location {
            disagreements.append("both labels say they are on partition \(l0.location)")
        }
        if l0.indexPartition == l0.dataPartition {
            disagreements.append("the index and data partitions are both \(l0.indexPartition)")
        }
        let letters = [l0.location: p0, l1.location: p1]
        guard disagreements.isEmpty, let ip = letters[l0.indexPartition], let dp = letters[l0.dataPartition] else {
            if disagreements.isEmpty {
                disagreements.append("the labels' locations \(l0.location), \(l1.location) do not match their partitions \(l0.indexPartition), \(l0.dataPartition)")
            }
            flag(.inconsistent, "labels disagree: " + disagreements.joined(separator: "; "))
            return nil
        }
        return VolumeRoles(uuid: l0.volumeUUID, indexPartition: ip, dataPartition: dp,
                           indexLetter: l0.indexPartition, dataLetter: l0.dataPartition)
    }

    /// Parses and validates a partition's newest index (ltfs.md, check step 4).
    func judgeIndex(_ partition: PartitionReading, volume: VolumeRoles) -> IndexFinding {
        let letter = volume.letter(of: partition.partition)
        guard let construct = partition.lastIndex else { return .invalid("not read") }
        switch construct.trailingFilemark {
        case .failed(let why): return .invalid("spacing back from end of data failed: \(why)")
        case .value(nil): return .none(blocksAfter: construct.blocksAfterIndex)
        case .value(let trailing?):
            if trailing < LTFSVolumeLayout.firstIndexBlock { return .none(blocksAfter: construct.blocksAfterIndex) }
        }
        guard let start = construct.startBlock else {
            if case .failed(let why)? = construct.leadingFilemark { return .invalid("spacing back over the index failed: \(why)") }
            return .invalid("no filemark precedes the last index")
        }
        guard start >= LTFSVolumeLayout.firstIndexBlock else { return .invalid("the last index would start at block \(start)") }
        var xml: [UInt8] = []
        for (i, record) in construct.records.enumerated() {
            switch record {
            case .value(.record(let bytes)): xml += bytes
            case .failed(let why): return .invalid("reading \(letter)/\(start + UInt64(i)) failed: \(why)")
            case .value(let other): return .invalid("\(letter)/\(start + UInt64(i)) is \(LabelConstruct.describe(.value(other)))")
            }
        }
        if xml.isEmpty { return .none(blocksAfter: construct.blocksAfterIndex) }
        let index: LTFSIndex
        do {
            index = try LTFSIndex.decode(xml)
        } catch {
            return .invalid("index at \(letter)/\(start): \(error)")
        }
        guard index.volumeUUID == volume.uuid else {
            return .invalid("index at \(letter)/\(start) belongs to volume \(index.volumeUUID), not \(volume.uuid)")
        }
        let readAt = LTFSIndexLocation(partition: letter, startBlock: start)
        guard index.location == readAt else {
            return .invalid("index read at \(readAt) says it is at \(index.location)")
        }
        if let previous = index.previousGenerationLocation {
            let onKnownPartition = previous.partition == volume.indexLetter || previous.partition == volume.dataLetter
            guard onKnownPartition, previous.startBlock >= LTFSVolumeLayout.firstIndexBlock else {
                return .invalid("index at \(readAt) has an invalid previous-generation pointer \(previous)")
            }
            if letter == volume.dataLetter, previous.partition != letter || previous.startBlock >= start {
                return .invalid("data partition index at \(readAt) points back at \(previous)")
            }
        }
        return .valid(index, blocksAfter: construct.blocksAfterIndex)
    }

    static func summary(_ index: LTFSIndex) -> LTFSIndexSummary {
        LTFSIndexSummary(partition: String(index.location.partition), generation: index.generation,
                         location: index.location.description,
                         previousGenerationLocation: index.previousGenerationLocation?.description,
                         updateTime: index.updateTime.formatted)
    }

    static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}

/// Which SCSI partition plays which LTFS role, from the labels.
struct VolumeRoles {
    var uuid: String
    var indexPartition: UInt8
    var dataPartition: UInt8
    var indexLetter: Character
    var dataLetter: Character

    func letter(of partition: UInt8) -> Character {
        partition == indexPartition ? indexLetter : dataLetter
    }

    func role(of partition: UInt8) -> String {
        partition == indexPartition ? "the index partition's (\(indexLetter))" : "the data partition's (\(dataLetter))"
    }
}
