/// The LTFS label XML (LTFS Format Specification 2.4, "Label format"). Element order, as the
/// reference formatter writes it: creator, formattime, volumeuuid, location/partition,
/// partitions/index and partitions/data, blocksize, compression.
public struct LTFSLabel: Sendable, Hashable {
    public var version: String
    public var creator: String
    public var formatTime: LTFSTimestamp
    public var volumeUUID: String
    /// The partition letter of the partition this copy is on.
    public var location: Character
    public var indexPartition: Character
    public var dataPartition: Character
    public var blockSize: Int
    public var compression: Bool

    public static let minimumBlockSize = 4096
    public static let defaultBlockSize = 524_288

    public init(version: String = LTFSFormatVersion.current, creator: String, formatTime: LTFSTimestamp,
                volumeUUID: String, location: Character, indexPartition: Character = "a",
                dataPartition: Character = "b", blockSize: Int = LTFSLabel.defaultBlockSize, compression: Bool) {
        self.version = version
        self.creator = creator
        self.formatTime = formatTime
        self.volumeUUID = volumeUUID
        self.location = location
        self.indexPartition = indexPartition
        self.dataPartition = dataPartition
        self.blockSize = blockSize
        self.compression = compression
    }

    public var element: LTFSXMLElement {
        LTFSXMLElement("ltfslabel", attributes: [("version", version)], children: [
            LTFSXMLElement("creator", text: creator),
            LTFSXMLElement("formattime", text: formatTime.formatted),
            LTFSXMLElement("volumeuuid", text: volumeUUID),
            LTFSXMLElement("location", [LTFSXMLElement("partition", text: String(location))]),
            LTFSXMLElement("partitions", [
                LTFSXMLElement("index", text: String(indexPartition)),
                LTFSXMLElement("data", text: String(dataPartition)),
            ]),
            LTFSXMLElement("blocksize", text: String(blockSize)),
            LTFSXMLElement("compression", text: compression ? "true" : "false"),
        ])
    }

    /// The label record: XML, indented by four spaces as the reference writes labels.
    public func encoded() -> [UInt8] {
        LTFSXMLWriter(indentation: "    ").document(element)
    }

    public static func decode(_ record: [UInt8]) throws(LTFSXMLError) -> LTFSLabel {
        let root = try LTFSXMLTreeParser.parse(record)
        return try LTFSLabel(root)
    }

    public init(_ root: LTFSXMLElement) throws(LTFSXMLError) {
        guard root.name == "ltfslabel" else { throw .unexpectedRoot(root.name) }
        let fields = XMLFields(root, context: "label")
        version = try fields.version()
        creator = root.child("creator")?.text ?? ""
        formatTime = try LTFSTimestamp(parsing: try fields.text("formattime"))
        volumeUUID = try fields.uuid("volumeuuid")
        location = try fields.partitionLetter(["location", "partition"])
        indexPartition = try fields.partitionLetter(["partitions", "index"])
        dataPartition = try fields.partitionLetter(["partitions", "data"])
        blockSize = Int(try fields.unsigned("blocksize"))
        compression = try fields.bool("compression")
        guard blockSize >= Self.minimumBlockSize else {
            throw .invalidValue(element: "blocksize", value: String(blockSize))
        }
    }
}

public enum LTFSFormatVersion {
    /// The format version tapelib writes (and the reference implementation 2.4.8.4 writes).
    public static let current = "2.4.0"

    /// Versions a reader of format 2.4 accepts: 1.0 and 2.x.y.
    public static func isReadable(_ version: String) -> Bool {
        let parts = version.split(separator: ".")
        guard let major = parts.first.flatMap({ Int($0) }), parts.allSatisfy({ Int($0) != nil }) else {
            return false
        }
        return major == 1 || major == 2
    }
}
