import Foundation
import Testing
@testable import LTFS

/// Files added to LTFS volumes the reference implementation formatted (the shared fixtures):
/// after each file the volume checks consistent, the data partition holds data, filemark,
/// index, filemark at the positions the format specification gives, the index partition holds
/// the same generation at a/5, the coherency attributes follow, and the file's bytes read back
/// through its extent.
@Suite struct AppendTests {
    /// `count` bytes, different for each seed.
    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    /// Appends `data` as file `name`, in blocks of the volume's block size; returns its file entry.
    @discardableResult
    static func append(_ data: [UInt8], name: String, to appender: inout LTFSVolumeAppender<SimulatedLTFSDrive>) async throws -> LTFSFile {
        let start = try await appender.appendPoint()
        var offset = 0
        var blocks: UInt64 = 0
        while offset < data.count {
            let end = min(offset + appender.blockSize, data.count)
            try await appender.device.writeRecord(Array(data[offset..<end]))
            offset = end
            blocks += 1
        }
        let file = LTFSFile(name: name, length: UInt64(data.count), creationTime: .now(), fileUID: appender.nextFileUID,
                            extents: [LTFSExtent(fileOffset: 0, partition: "b", startBlock: start, byteCount: UInt64(data.count))])
        try await appender.commit(file, nextBlock: start + blocks)
        try await appender.writeIndexPartition()
        return file
    }

    /// Reads a file back through its extents.
    static func read(_ file: LTFSFile, from drive: SimulatedLTFSDrive) async throws -> [UInt8] {
        var out: [UInt8] = []
        for extent in file.extents {
            try await drive.locate(partition: extent.partition == "a" ? 0 : 1, block: extent.startBlock)
            var got: [UInt8] = []
            while UInt64(got.count) < extent.byteOffset + extent.byteCount {
                guard case .record(let bytes) = try await drive.readRecord(maxLength: 1 << 20) else { break }
                got += bytes
            }
            out += got[Int(extent.byteOffset)..<Int(extent.byteOffset + extent.byteCount)]
        }
        return out
    }

    @Test func twoFilesOnAReferenceVolumeLeaveItConsistentAtTheSpecifiedPositions() async throws {
        let drive = SimulatedLTFSDrive(try SimulatedCartridge.fixture("fresh_ABC123_named"))
        var appender = try await LTFSVolumeAppender.open(drive)
        #expect(appender.openedWith.verdict == .consistent)
        #expect(appender.blockSize == 524_288 && appender.index.generation == 1)
        let first = Self.bytes(1_200_000, seed: 1)   // three blocks, the last short
        let fileA = try await Self.append(first, name: "record-1-a.tar", to: &appender)
        // Data at b/7…9 (after the format's index at b/5 and its filemark at b/6), a filemark at
        // b/10, generation 2 at b/11 and its filemark.
        #expect(fileA.extents.first?.startBlock == 7)
        #expect(appender.index.location == LTFSIndexLocation(partition: "b", startBlock: 11))
        #expect(appender.index.previousGenerationLocation == LTFSIndexLocation(partition: "b", startBlock: 5))
        #expect(await drive.cartridge.structure[1] == ["R", "F", "R", "F", "F", "R", "F", "R", "R", "R", "F", "R", "F", "E"])
        #expect(await drive.cartridge.structure[0] == ["R", "F", "R", "F", "F", "R", "F", "E"])
        var report = await LTFSChecker().check(drive)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.indexes.map(\.location) == ["a/5", "b/11"])
        #expect(report.volume?.indexes.map(\.generation) == [2, 2])
        #expect(report.volume?.indexes.map(\.previousGenerationLocation) == ["b/11", "b/5"])
        #expect(report.volume?.coherency.map(\.generation) == [2, 2])
        #expect(report.volume?.coherency.map(\.indexStartBlock) == [5, 11])

        let second = Self.bytes(10, seed: 2)
        try await Self.append(second, name: "record-2-b.tar", to: &appender)
        report = await LTFSChecker().check(drive)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.volume?.indexes.map(\.generation) == [3, 3])
        #expect(report.volume?.indexes.map(\.previousGenerationLocation) == ["b/15", "b/11"])

        // The index on the index partition, as a reader that mounts the volume takes it: both
        // files with their extents, uids 2 and 3, the volume name kept.
        guard case .record(let xml) = (await drive.cartridge.partitions[0][5]) else { Issue.record("no index at a/5"); return }
        let index = try LTFSIndex.decode(xml, keepingContents: true)
        let files = try index.rootFiles()
        #expect(files.map(\.name) == ["record-1-a.tar", "record-2-b.tar"])
        #expect(files.map(\.fileUID) == [2, 3] && index.highestFileUID == 3)
        #expect(index.volumeName == "TestVol")
        #expect(try await Self.read(files[0], from: drive) == first)
        #expect(try await Self.read(files[1], from: drive) == second)
    }

    @Test func theFileEntryIsWrittenInTheReferenceOrder() throws {
        let time = LTFSTimestamp(seconds: 1_796_000_000, nanoseconds: 5)
        let file = LTFSFile(name: "a&b.tar", length: 10, creationTime: time, fileUID: 7,
                            extents: [LTFSExtent(fileOffset: 0, partition: "b", startBlock: 9, byteCount: 10)])
        // One element a line, as the reference writes indexes.
        let text = String(decoding: LTFSXMLWriter(indentation: "").document(file.element), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: "")
        let t = time.formatted
        #expect(text.hasSuffix("<file><name>a&amp;b.tar</name><length>10</length><readonly>false</readonly><creationtime>\(t)</creationtime>"
                               + "<changetime>\(t)</changetime><modifytime>\(t)</modifytime><accesstime>\(t)</accesstime>"
                               + "<backuptime>\(t)</backuptime><fileuid>7</fileuid><extentinfo><extent><fileoffset>0</fileoffset>"
                               + "<partition>b</partition><startblock>9</startblock><byteoffset>0</byteoffset><bytecount>10</bytecount>"
                               + "</extent></extentinfo></file>"), "\(text)")
        #expect(try LTFSFile(file.element) == file)
    }

    @Test func unflushedDataIsLeftBehindAndTheNewGenerationMakesTheVolumeConsistent() async throws {
        let drive = SimulatedLTFSDrive(try SimulatedCartridge.fixture("bad_dp_unflushed_data"))
        var appender = try await LTFSVolumeAppender.open(drive)
        #expect(appender.openedWith.verdict == .recoverable)
        let data = Self.bytes(5_000, seed: 3)
        let file = try await Self.append(data, name: "f", to: &appender)
        #expect(file.extents.first?.startBlock == 8)   // after the unflushed block at b/7
        let report = await LTFSChecker().check(drive)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(try await Self.read(file, from: drive) == data)
    }

    @Test(arguments: ["bad_label_uuid_mismatch", "bad_no_vol1_ltfs", "blank_unpartitioned", "bad_dp_eod_missing"])
    func aVolumeThatIsNotConsistentIsNotWritten(_ image: String) async throws {
        let drive = SimulatedLTFSDrive(try SimulatedCartridge.fixture(image))
        do {
            _ = try await LTFSVolumeAppender.open(drive)
            Issue.record("\(image) was opened for appending")
        } catch {
            guard case .notAppendable = error else { Issue.record("\(error)"); return }
        }
        #expect(await drive.mutations.isEmpty)
    }

    @Test func aReplacedFileKeepsOneEntryAndOtherEntriesStayAsTheyWere() async throws {
        let drive = SimulatedLTFSDrive(try SimulatedCartridge.fixture("fresh_nocompress_256k"))
        var appender = try await LTFSVolumeAppender.open(drive)
        try await Self.append(Self.bytes(100, seed: 4), name: "x", to: &appender)
        try await Self.append(Self.bytes(100, seed: 5), name: "y", to: &appender)
        let replacement = Self.bytes(300, seed: 6)
        try await Self.append(replacement, name: "x", to: &appender)
        let reopened = try await LTFSVolumeAppender.open(drive)
        let files = try reopened.index.rootFiles()
        #expect(files.map(\.name) == ["y", "x"])
        #expect(files.last?.length == 300)
        #expect(reopened.index.generation == 4)
        #expect(try await Self.read(try #require(files.last), from: drive) == replacement)
    }
}

/// Volumes this writer must not change: a locked one, and one with file data on the index
/// partition (which the writer rewrites at a/5).
@Suite struct AppendRefusalTests {
    @Test func lockedVolumesAndIndexPartitionDataAreNotWritten() async throws {
        for (volumeLockState, extentPartition) in [("locked", "b"), ("unlocked", "a")] {
            let drive = SimulatedLTFSDrive(try SimulatedCartridge.fixture("fresh_ABC123_named"))
            var appender = try await LTFSVolumeAppender.open(drive)
            // A file as another writer would have placed it, then the volume's state.
            let file = LTFSFile(name: "other", length: 4, creationTime: .now(), fileUID: appender.nextFileUID,
                                extents: [LTFSExtent(fileOffset: 0, partition: Character(extentPartition), startBlock: 7, byteCount: 4)])
            let start = try await appender.appendPoint()
            try await drive.writeRecord([1, 2, 3, 4])
            try await appender.commit(file, nextBlock: start + 1)
            try await appender.writeIndexPartition()
            if volumeLockState != "unlocked" {
                // Rewrite the newest index with the lock state, as a locking writer would.
                var locked = appender.index
                locked.volumeLockState = volumeLockState
                locked.generation += 1
                let next = try await drive.locateToEndOfData(partition: 1)
                try await drive.writeFilemarks(1)
                locked.previousGenerationLocation = locked.location
                locked.location = LTFSIndexLocation(partition: "b", startBlock: next + 1)
                try await drive.writeRecord(locked.encoded())
                try await drive.writeFilemarks(1)
            }
            let before = await drive.mutations.count
            do {
                _ = try await LTFSVolumeAppender.open(drive)
                Issue.record("\(volumeLockState)/\(extentPartition): opened for appending")
            } catch {
                guard case .notAppendable(_, let problems) = error else { Issue.record("\(error)"); continue }
                #expect(problems.last?.contains(volumeLockState == "locked" ? "locked" : "index partition") == true, "\(problems)")
            }
            #expect(await drive.mutations.count == before)
        }
    }
}
