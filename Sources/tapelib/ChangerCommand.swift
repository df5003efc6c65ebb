import ArgumentParser
import CLISupport
import Foundation
import SCSI
import TapeHardware

struct ChangerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changer",
        abstract: "Medium changer: inventory and moves (mtx-style numbering: slots 1…, drives 0…).",
        subcommands: [Status.self, Move.self, Load.self, Unload.self, Transfer.self, MailSlot.self])

    /// `changer status --json`: arrays of elements with address, mtx number, full and volume tag.
    struct StatusReport {
        var device: String
        var vendor: String
        var product: String
        var revision: String
        var serial: String?
        var transports: [InventoryElement]
        var drives: [InventoryElement]
        var storage: [InventoryElement]
        var importExport: [InventoryElement]

        /// Writes the document to `descriptor` while it is rendered.
        func writeJSON(to descriptor: Int32 = STDOUT_FILENO) {
            var w = JSONWriter(streamingTo: descriptor)
            render(into: &w)
            w.finish()
        }

        func render(into w: inout JSONWriter) {
            w.beginObject()
            w.field("device", device)
            w.field("vendor", vendor)
            w.field("product", product)
            w.field("revision", revision)
            w.field("serial", serial)
            for (key, elements) in [("transports", transports), ("drives", drives), ("storage", storage),
                                    ("import_export", importExport)] {
                w.beginArray(key: key)
                elements.withUnsafeBufferPointer { list in
                    for i in list.indices { Self.write(list[i], to: &w) }
                }
                w.endArray()
            }
            w.endObject()
        }

        /// The same keys as InventoryElement's Encodable form (snake case; `volume_tag`
        /// always present, null when empty).
        static func write(_ e: borrowing InventoryElement, to w: inout JSONWriter) {
            w.compactObject { o in
                switch e.kind {
                case .transport: o.literal("{\"kind\":\"transport\",\"address\":")
                case .storage: o.literal("{\"kind\":\"storage\",\"address\":")
                case .importExport: o.literal("{\"kind\":\"import_export\",\"address\":")
                case .drive: o.literal("{\"kind\":\"drive\",\"address\":")
                }
                o.int(Int(e.address))
                o.literal(",\"number\":")
                o.int(e.number)
                o.literal(e.full ? ",\"full\":true,\"volume_tag\":" : ",\"full\":false,\"volume_tag\":")
                o.string(e.volumeTag)
                if let t = e.alternateVolumeTag {
                    o.literal(",\"alternate_volume_tag\":")
                    o.string(t)
                }
                if let s = e.sourceAddress {
                    o.literal(",\"source_address\":")
                    o.int(Int(s))
                }
                switch (e.accessible, e.exception) {
                case (true, false): o.literal(",\"accessible\":true,\"exception\":false,\"asc\":")
                case (true, true): o.literal(",\"accessible\":true,\"exception\":true,\"asc\":")
                case (false, false): o.literal(",\"accessible\":false,\"exception\":false,\"asc\":")
                case (false, true): o.literal(",\"accessible\":false,\"exception\":true,\"asc\":")
                }
                o.int(Int(e.asc))
                o.literal(",\"ascq\":")
                o.int(Int(e.ascq))
                if e.kind == .drive {
                    o.literal(",\"drive_serial\":")
                    o.string(e.driveSerial)
                }
                if let v = e.driveVendor {
                    o.literal(",\"drive_vendor\":")
                    o.string(v)
                }
                if let p = e.driveProduct {
                    o.literal(",\"drive_product\":")
                    o.string(p)
                }
                if let i = e.importEnabled {
                    o.literal(",\"import_enabled\":")
                    o.bool(i)
                }
                if let x = e.exportEnabled {
                    o.literal(",\"export_enabled\":")
                    o.bool(x)
                }
                o.literal("}")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Drives, slots, mail slots and barcodes.")
        @OptionGroup var device: DeviceOptions
        @Flag(help: "JSON for scripts.") var json = false

        func run() async throws {
            try await reportingFailures {
                let opened = try device.open()
                defer { opened.close() }
                let changer = opened.changerDevice()
                let inquiry = try await changer.inquiry()
                let serial = try await changer.serialNumber()
                let inventory = try await changer.inventory()
                if json {
                    StatusReport(
                        device: device.device, vendor: inquiry.vendor, product: inquiry.product,
                        revision: inquiry.revision, serial: serial, transports: inventory.transports,
                        drives: inventory.drives, storage: inventory.storage, importExport: inventory.importExport)
                        .writeJSON()
                } else {
                    print(ChangerStatusText.render(inventory, name: "\(inquiry.vendor) \(inquiry.product)", serial: serial))
                }
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "move",
            abstract: "MOVE MEDIUM between two element addresses (see `changer status --json`).")
        @OptionGroup var device: DeviceOptions
        @Option(help: "Source element address.") var from: UInt16
        @Option(help: "Destination element address.") var to: UInt16

        func run() async throws {
            try await reportingFailures {
                let opened = try device.open()
                defer { opened.close() }
                let changer = opened.changerDevice()
                try await changer.move(from: from, to: to)
                print("moved element \(from) → element \(to)")
            }
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load", abstract: "Load a cartridge from a slot into a drive.")
        @OptionGroup var device: DeviceOptions
        @Option(help: "Slot number (storage 1…, then import/export).") var slot: Int
        @Option(help: "Drive number (0…).") var drive: Int = 0

        func run() async throws {
            try await reportingFailures {
                let opened = try device.open()
                defer { opened.close() }
                let changer = opened.changerDevice()
                let source = try await changer.load(slot: slot, drive: drive)
                print("loaded \(source.volumeTag ?? "(no barcode)") from slot \(slot) into drive \(drive)")
            }
        }
    }

    struct Unload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unload",
            abstract: "Unload a drive into a slot (default: the slot it came from).")
        @OptionGroup var device: DeviceOptions
        @Option(help: "Drive number (0…).") var drive: Int = 0
        @Option(help: "Destination slot number.") var slot: Int?

        func run() async throws {
            try await reportingFailures {
                let opened = try device.open()
                defer { opened.close() }
                // Eject from the drive first when we can reach it (a real library's robot cannot
                // pull a threaded tape); a drive that is already unloaded answers GOOD.
                if opened.simulator != nil {
                    _ = try? await (try? await opened.driveDevice(drive))?.unload()
                }
                let changer = opened.changerDevice()
                let target = try await changer.unload(drive: drive, to: slot)
                print("unloaded drive \(drive) into slot \(target.number)")
            }
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transfer", abstract: "Move a cartridge from one slot to another.")
        @OptionGroup var device: DeviceOptions
        @Option(help: "Source slot number.") var from: Int
        @Option(help: "Destination slot number.") var to: Int

        func run() async throws {
            try await reportingFailures {
                let opened = try device.open()
                defer { opened.close() }
                try await opened.changerDevice().transfer(from: from, to: to)
                print("transferred slot \(from) → slot \(to)")
            }
        }
    }

    struct MailSlot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mailslot", abstract: "Open or close an import/export element.")
        @OptionGroup var device: DeviceOptions
        @Argument(help: "open or close") var action: String
        @Option(help: "Import/export slot number (default: the first).") var slot: Int?

        func validate() throws {
            guard action == "open" || action == "close" else { throw ValidationError("action must be open or close") }
        }

        func run() async throws {
            try await reportingFailures {
                let opened = try device.open()
                defer { opened.close() }
                let changer = opened.changerDevice()
                let inventory = try await changer.inventory()
                let element = try slot.map { n throws -> InventoryElement in
                    guard let e = inventory.slot(number: n), e.kind == .importExport else {
                        throw CLIError("slot \(n) is not an import/export slot")
                    }
                    return e
                } ?? inventory.importExport.first
                guard let element else { throw CLIError("this library has no import/export slot") }
                try await changer.setImportExport(open: action == "open", address: element.address)
                print("\(action == "open" ? "opened" : "closed") import/export slot \(element.number)")
            }
        }
    }
}

/// mtx-like text for `changer status`.
enum ChangerStatusText {
    static func render(_ inv: LibraryInventory, name: String, serial: String?) -> String {
        var lines: [String] = []
        lines.append("  Storage Changer \(name)\(serial.map { " (serial \($0))" } ?? ""): \(inv.drives.count) Drives, "
                     + "\(inv.storage.count + inv.importExport.count) Slots ( \(inv.importExport.count) Import/Export )")
        func tag(_ e: InventoryElement) -> String {
            e.volumeTag.map { ":VolumeTag = \($0)" } ?? ""
        }
        for d in inv.drives {
            var line = "Data Transfer Element \(d.number):"
            if d.full {
                let from = d.sourceAddress.flatMap(inv.element(address:)).map { "(Storage Element \($0.number) Loaded)" }
                line += "Full " + (from ?? "(Unknown Storage Element Loaded)") + tag(d)
            } else {
                line += "Empty"
            }
            if let serial = d.driveSerial { line += "  [serial \(serial)]" }
            lines.append(line)
        }
        for s in inv.storage {
            lines.append("      Storage Element \(s.number):" + (s.full ? "Full " + tag(s) : "Empty")
                         + (s.exception ? "  [exception \(hex(s.asc))/\(hex(s.ascq))]" : ""))
        }
        for s in inv.importExport {
            lines.append("      Storage Element \(s.number) IMPORT/EXPORT:" + (s.full ? "Full " + tag(s) : "Empty"))
        }
        return lines.joined(separator: "\n")
    }

    static func hex(_ v: UInt8) -> String { String(format: "%02Xh", v) }
}
