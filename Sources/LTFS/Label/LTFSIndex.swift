/// Where an index sits: a partition letter and the block after the filemark that precedes it.
public struct LTFSIndexLocation: Sendable, Hashable, CustomStringConvertible {
    public var partition: Character
    public var startBlock: UInt64

    public init(partition: Character, startBlock: UInt64) {
        self.partition = partition
        self.startBlock = startBlock
    }

    public var description: String { "\(partition)/\(startBlock)" }
}

/// Rules for which files the index partition also holds (`dataplacementpolicy`).
public struct LTFSDataPlacementPolicy: Sendable, Hashable {
    /// Files up to this many bytes whose names match a pattern go to the index partition.
    public var sizeLimit: UInt64
    public var namePatterns: [String]

    public init(sizeLimit: UInt64, namePatterns: [String]) {
        self.sizeLimit = sizeLimit
        self.namePatterns = namePatterns
    }
}

/// An LTFS index (LTFS Format Specification 2.4, "Index format"): the fields a format writes
/// and a check reads, and — when decoded with `keepingContents` — the root directory's contents
/// as elements, so that a writer adds a file to a new generation and keeps every other entry
/// (files and directories another LTFS writer made) exactly as it found them.
public struct LTFSIndex: Sendable, Hashable {
    public var version: String
    public var creator: String
    public var comment: String?
    public var volumeUUID: String
    public var generation: UInt64
    public var updateTime: LTFSTimestamp
    public var location: LTFSIndexLocation
    public var previousGenerationLocation: LTFSIndexLocation?
    public var allowPolicyUpdate: Bool
    public var dataPlacementPolicy: LTFSDataPlacementPolicy?
    public var highestFileUID: UInt64
    public var volumeLockState: String
    /// The root directory's name: the volume name (nil: `<name/>`).
    public var volumeName: String?
    public var rootTime: LTFSTimestamp
    public var rootFileUID: UInt64
    /// The root directory's `contents` children (`file`, `directory`); empty unless decoded
    /// with `keepingContents` or set by a writer.
    public var rootContents: [LTFSXMLElement] = []
    /// The root's change and modify time when its contents changed after the format (nil: `rootTime`).
    public var rootModifyTime: LTFSTimestamp?

    public init(version: String = LTFSFormatVersion.current, creator: String, comment: String? = nil,
                volumeUUID: String, generation: UInt64, updateTime: LTFSTimestamp,
                location: LTFSIndexLocation, previousGenerationLocation: LTFSIndexLocation?,
                allowPolicyUpdate: Bool = true, dataPlacementPolicy: LTFSDataPlacementPolicy? = nil,
                highestFileUID: UInt64 = 1, volumeLockState: String = "unlocked",
                volumeName: String?, rootTime: LTFSTimestamp, rootFileUID: UInt64 = 1) {
        self.version = version
        self.creator = creator
        self.comment = comment
        self.volumeUUID = volumeUUID
        self.generation = generation
        self.updateTime = updateTime
        self.location = location
        self.previousGenerationLocation = previousGenerationLocation
        self.allowPolicyUpdate = allowPolicyUpdate
        self.dataPlacementPolicy = dataPlacementPolicy
        self.highestFileUID = highestFileUID
        self.volumeLockState = volumeLockState
        self.volumeName = volumeName
        self.rootTime = rootTime
        self.rootFileUID = rootFileUID
    }

    /// Element order as the reference implementation writes it.
    public var element: LTFSXMLElement {
        func location(_ name: String, _ l: LTFSIndexLocation) -> LTFSXMLElement {
            LTFSXMLElement(name, [
                LTFSXMLElement("partition", text: String(l.partition)),
                LTFSXMLElement("startblock", text: String(l.startBlock)),
            ])
        }
        var children = [LTFSXMLElement("creator", text: creator)]
        if let comment { children.append(LTFSXMLElement("comment", text: comment)) }
        children += [
            LTFSXMLElement("volumeuuid", text: volumeUUID),
            LTFSXMLElement("generationnumber", text: String(generation)),
            LTFSXMLElement("updatetime", text: updateTime.formatted),
            location("location", self.location),
        ]
        if let previousGenerationLocation {
            children.append(location("previousgenerationlocation", previousGenerationLocation))
        }
        children.append(LTFSXMLElement("allowpolicyupdate", text: allowPolicyUpdate ? "true" : "false"))
        if let policy = dataPlacementPolicy {
            let criteria = [LTFSXMLElement("size", text: String(policy.sizeLimit))]
                + policy.namePatterns.map { LTFSXMLElement("name", text: $0) }
            children.append(LTFSXMLElement("dataplacementpolicy", [LTFSXMLElement("indexpartitioncriteria", criteria)]))
        }
        let time = rootTime.formatted
        let modified = (rootModifyTime ?? rootTime).formatted
        children += [
            LTFSXMLElement("highestfileuid", text: String(highestFileUID)),
            LTFSXMLElement("volumelockstate", text: volumeLockState),
            LTFSXMLElement("directory", [
                LTFSXMLElement("name", text: volumeName ?? ""),
                LTFSXMLElement("readonly", text: "false"),
                LTFSXMLElement("creationtime", text: time),
                LTFSXMLElement("changetime", text: modified),
                LTFSXMLElement("modifytime", text: modified),
                LTFSXMLElement("accesstime", text: modified),
                LTFSXMLElement("backuptime", text: time),
                LTFSXMLElement("fileuid", text: String(rootFileUID)),
                LTFSXMLElement("contents", rootContents),
            ]),
        ]
        return LTFSXMLElement("ltfsindex", attributes: [("version", version)], children: children)
    }

    /// The index XML, unindented as the reference writes indexes.
    public func encoded() -> [UInt8] {
        LTFSXMLWriter(indentation: "").document(element)
    }

    /// Parses an index; the file tree below the root directory is validated but not kept
    /// unless `keepingContents` (a writer's read of the newest index).
    public static func decode(_ bytes: [UInt8], keepingContents: Bool = false) throws(LTFSXMLError) -> LTFSIndex {
        guard keepingContents else { return try LTFSIndex(LTFSXMLTreeParser.parse(bytes, retainedDepth: 4)) }
        let root = try LTFSXMLTreeParser.parse(bytes)
        var index = try LTFSIndex(root)
        let directory = root.child("directory")
        index.rootContents = directory?.child("contents")?.children ?? []
        if let text = directory?.child("modifytime")?.text, let modified = try? LTFSTimestamp(parsing: text), modified != index.rootTime {
            index.rootModifyTime = modified
        }
        return index
    }

    public init(_ root: LTFSXMLElement) throws(LTFSXMLError) {
        guard root.name == "ltfsindex" else { throw .unexpectedRoot(root.name) }
        let fields = XMLFields(root, context: "index")
        func location(_ name: String) throws(LTFSXMLError) -> LTFSIndexLocation {
            LTFSIndexLocation(partition: try fields.partitionLetter([name, "partition"]),
                              startBlock: try fields.unsigned(name, "startblock"))
        }
        version = try fields.version()
        creator = root.child("creator")?.text ?? ""
        comment = root.child("comment")?.text
        volumeUUID = try fields.uuid("volumeuuid")
        generation = try fields.unsigned("generationnumber")
        updateTime = try LTFSTimestamp(parsing: try fields.text("updatetime"))
        self.location = try location("location")
        previousGenerationLocation = root.child("previousgenerationlocation") == nil
            ? nil : try location("previousgenerationlocation")
        allowPolicyUpdate = root.child("allowpolicyupdate") == nil ? true : try fields.bool("allowpolicyupdate")
        if let criteria = root.child("dataplacementpolicy")?.child("indexpartitioncriteria") {
            dataPlacementPolicy = LTFSDataPlacementPolicy(
                sizeLimit: UInt64(criteria.child("size")?.text.trimmingSpaces ?? "") ?? 0,
                namePatterns: criteria.children(named: "name").map(\.text))
        } else {
            dataPlacementPolicy = nil
        }
        highestFileUID = root.child("highestfileuid") == nil ? 0 : try fields.unsigned("highestfileuid")
        volumeLockState = root.child("volumelockstate")?.text ?? "unlocked"
        guard let directory = root.child("directory") else { throw .missingElement("directory") }
        let name = directory.child("name")?.text ?? ""
        volumeName = name.isEmpty ? nil : name
        let dirFields = XMLFields(directory, context: "root directory")
        rootTime = (try? LTFSTimestamp(parsing: dirFields.text("creationtime"))) ?? updateTime
        rootFileUID = (try? dirFields.unsigned("fileuid")) ?? 0
    }
}
