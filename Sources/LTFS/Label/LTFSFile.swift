/// One extent of a file's data (LTFS Format Specification 2.4, "extentinfo"): `byteCount`
/// bytes of the file from `fileOffset`, starting `byteOffset` bytes into block `startBlock` of
/// a partition, continuing through the blocks that follow.
public struct LTFSExtent: Sendable, Hashable {
    public var fileOffset: UInt64
    public var partition: Character
    public var startBlock: UInt64
    public var byteOffset: UInt64
    public var byteCount: UInt64

    public init(fileOffset: UInt64, partition: Character, startBlock: UInt64, byteOffset: UInt64 = 0, byteCount: UInt64) {
        self.fileOffset = fileOffset; self.partition = partition; self.startBlock = startBlock
        self.byteOffset = byteOffset; self.byteCount = byteCount
    }
}

/// A file entry of an index's directory, as the reference implementation writes it: name,
/// length, readonly, the five times, fileuid, extentinfo.
public struct LTFSFile: Sendable, Hashable {
    public var name: String
    public var length: UInt64
    public var readOnly: Bool
    public var creationTime: LTFSTimestamp
    public var modifyTime: LTFSTimestamp
    public var fileUID: UInt64
    public var extents: [LTFSExtent]

    public init(name: String, length: UInt64, readOnly: Bool = false, creationTime: LTFSTimestamp, modifyTime: LTFSTimestamp? = nil,
                fileUID: UInt64, extents: [LTFSExtent]) {
        self.name = name; self.length = length; self.readOnly = readOnly; self.creationTime = creationTime
        self.modifyTime = modifyTime ?? creationTime; self.fileUID = fileUID; self.extents = extents
    }

    public var element: LTFSXMLElement {
        let modified = modifyTime.formatted
        return LTFSXMLElement("file", [
            LTFSXMLElement("name", text: name),
            LTFSXMLElement("length", text: String(length)),
            LTFSXMLElement("readonly", text: readOnly ? "true" : "false"),
            LTFSXMLElement("creationtime", text: creationTime.formatted),
            LTFSXMLElement("changetime", text: modified),
            LTFSXMLElement("modifytime", text: modified),
            LTFSXMLElement("accesstime", text: modified),
            LTFSXMLElement("backuptime", text: creationTime.formatted),
            LTFSXMLElement("fileuid", text: String(fileUID)),
            LTFSXMLElement("extentinfo", extents.map { extent in
                LTFSXMLElement("extent", [
                    LTFSXMLElement("fileoffset", text: String(extent.fileOffset)),
                    LTFSXMLElement("partition", text: String(extent.partition)),
                    LTFSXMLElement("startblock", text: String(extent.startBlock)),
                    LTFSXMLElement("byteoffset", text: String(extent.byteOffset)),
                    LTFSXMLElement("bytecount", text: String(extent.byteCount)),
                ])
            }),
        ])
    }

    /// Reads a `file` element; a missing or malformed field is a typed error.
    public init(_ element: LTFSXMLElement) throws(LTFSXMLError) {
        guard element.name == "file" else { throw .unexpectedRoot(element.name) }
        let fields = XMLFields(element, context: "file")
        name = try fields.text("name")
        length = try fields.unsigned("length")
        readOnly = element.child("readonly") == nil ? false : try fields.bool("readonly")
        creationTime = try LTFSTimestamp(parsing: try fields.text("creationtime"))
        modifyTime = (try? LTFSTimestamp(parsing: try fields.text("modifytime"))) ?? creationTime
        fileUID = try fields.unsigned("fileuid")
        var extents: [LTFSExtent] = []
        for extent in element.child("extentinfo")?.children(named: "extent") ?? [] {
            let f = XMLFields(extent, context: "extent of \(name)")
            extents.append(LTFSExtent(fileOffset: try f.unsigned("fileoffset"), partition: try f.partitionLetter(["partition"]),
                                      startBlock: try f.unsigned("startblock"), byteOffset: try f.unsigned("byteoffset"),
                                      byteCount: try f.unsigned("bytecount")))
        }
        self.extents = extents
    }
}

extension LTFSIndex {
    /// The files directly in the root directory (subdirectories are not walked).
    public func rootFiles() throws(LTFSXMLError) -> [LTFSFile] {
        var files: [LTFSFile] = []
        for element in rootContents where element.name == "file" { files.append(try LTFSFile(element)) }
        return files
    }

    /// Puts `file` in the root directory, replacing an entry of the same name (whose data
    /// stays on tape, unreferenced, as when a file is overwritten on an LTFS volume).
    public mutating func place(_ file: LTFSFile) {
        rootContents.removeAll { $0.name == "file" && $0.child("name")?.text == file.name }
        rootContents.append(file.element)
        highestFileUID = max(highestFileUID, file.fileUID)
        rootModifyTime = file.modifyTime
    }
}
