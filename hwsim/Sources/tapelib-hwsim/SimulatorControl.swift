import Foundation
import HWSim
import HWSimServer
import SCSI

/// The control ops the server hands to the simulator (hwsim/SERVER.md, "Control requests").
/// Devices are numbered as on the socket: 0 the changer, 1… the drives.
struct SimulatorControl: HWSimControlHandler {
    let library: SimulatedLibrary

    static let opNames = [
        "inventory", "identities", "location", "tapealert", "require-cleaning", "fail-next", "jam-robot",
        "media-error", "not-ready", "disconnect", "reconnect", "clear-faults", "advance-clock", "clock",
        "speed", "power-cycle", "insert", "remove", "save",
    ]

    func handle(_ request: ControlRequest) async -> ControlReply {
        do {
            return try perform(request)
        } catch let error as ControlError {
            return .failed(error.message)
        } catch {
            return .failed("\(request.op): \(error)")
        }
    }

    private func perform(_ request: ControlRequest) throws -> ControlReply {
        switch request.op {
        case "inventory":
            return ControlReply(ok: true, values: inventory())
        case "identities":
            let profile = library.profile
            var values: [String: String] = [:]
            let devices = [("changer", profile.changer)]
                + profile.drives.enumerated().map { ("drive\($0.offset)", $0.element.identity) }
            for (name, identity) in devices {
                values[name] = identity.serial
                values[name + ".vendor"] = identity.vendor
                values[name + ".product"] = identity.product
                values[name + ".revision"] = identity.revision
            }
            return ControlReply(ok: true, values: values)
        case "location":
            let barcode = try request.required("barcode")
            guard let location = library.location(of: barcode) else { return .failed("no cartridge \(barcode)") }
            return ControlReply(ok: true, values: ["location": Self.name(location)])
        case "tapealert":
            let flags = try request.required("flags").split(separator: ",").map { text -> UInt8 in
                guard let flag = UInt8(text.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw ControlError("tapealert flags are hex numbers separated by commas")
                }
                return flag
            }
            library.raiseTapeAlerts(flags, drive: try driveIndex(request))
        case "require-cleaning":
            library.requireCleaning(drive: try driveIndex(request))
        case "fail-next":
            guard let key = SenseKey(rawValue: try request.hex("key")) else { throw ControlError("bad sense key") }
            library.failNext(Int(request.arg("count") ?? "1") ?? 1, opcode: try request.hex("opcode"),
                             device: try device(request),
                             with: SenseData(key, AdditionalSense(try request.hex("asc"), try request.hex("ascq"))))
        case "jam-robot":
            library.jamRobot(nextMoves: Int(request.arg("count") ?? "1") ?? 1)
        case "media-error":
            library.injectMediaError(barcode: try request.required("barcode"),
                                     partition: Int(request.arg("partition") ?? "0") ?? 0,
                                     block: try request.integer("block"))
        case "not-ready":
            library.makeNotReady(device: try device(request), for: .seconds(try request.integer("seconds")))
        case "disconnect":
            library.disconnect(device: try device(request))
        case "reconnect":
            library.reconnect(device: try device(request))
        case "clear-faults":
            library.clearFaults()
        case "advance-clock":
            library.advanceClock(by: .seconds(try request.integer("seconds")))
        case "clock":
            let time = library.virtualTime.components
            return ControlReply(ok: true, values: ["seconds": String(time.seconds), "speed": String(library.speed)])
        case "speed":
            guard let value = request.arg("value").flatMap(Double.init), value >= 0 else {
                throw ControlError("speed needs args.value ≥ 0")
            }
            library.speed = value
        case "power-cycle":
            library.powerCycle()
        case "insert":
            let barcode = try request.required("barcode")
            guard let generation = LTOGeneration(rawValue: request.arg("generation") ?? "LTO-8")
                ?? LTOGeneration(number: Int(request.arg("generation") ?? "") ?? 0) else {
                throw ControlError("unknown generation \(request.arg("generation") ?? "")")
            }
            let mailSlot = try request.integer("mailSlot")
            try library.operatorInsert(CartridgeProfile(barcode: barcode, generation: generation,
                                                        location: .mailSlot(mailSlot)), mailSlot: mailSlot)
        case "remove":
            let barcode = try library.operatorRemove(mailSlot: try request.integer("mailSlot"))
            return ControlReply(ok: true, values: ["barcode": barcode])
        case "save":
            try library.save()
        default:
            throw ControlError("unknown control op \(request.op) (known: \(Self.opNames.joined(separator: ", ")))")
        }
        return ControlReply(ok: true)
    }

    /// Every full element: `slotN`, `mailN` (1-based) and `driveN` (0-based) → barcode.
    private func inventory() -> [String: String] {
        let profile = library.profile
        var values: [String: String] = [
            "slots": String(profile.storageSlots), "mailSlots": String(profile.importExportSlots),
            "drives": String(profile.drives.count),
        ]
        let locations = (1...max(1, profile.storageSlots)).map { ElementLocation.slot($0) }
            + (0..<profile.importExportSlots).map { ElementLocation.mailSlot($0 + 1) }
            + profile.drives.indices.map { ElementLocation.drive($0) }
        for location in locations {
            if let barcode = library.barcode(at: location) { values[Self.name(location)] = barcode }
        }
        return values
    }

    static func name(_ location: ElementLocation) -> String {
        switch location {
        case .slot(let n): return "slot\(n)"
        case .mailSlot(let n): return "mail\(n)"
        case .drive(let n): return "drive\(n)"
        }
    }

    private func device(_ request: ControlRequest) throws -> Int {
        guard let device = request.device, device >= 0, device <= library.driveCount else {
            throw ControlError("\(request.op) needs device 0…\(library.driveCount)")
        }
        return device
    }

    private func driveIndex(_ request: ControlRequest) throws -> Int {
        let device = try device(request)
        guard device >= 1 else { throw ControlError("\(request.op) needs a drive (device 1…\(library.driveCount))") }
        return device - 1
    }
}

struct ControlError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension ControlRequest {
    func required(_ name: String) throws -> String {
        guard let value = arg(name), !value.isEmpty else { throw ControlError("\(op) needs args.\(name)") }
        return value
    }
    func integer(_ name: String) throws -> Int {
        guard let value = Int(try required(name)) else { throw ControlError("\(op): args.\(name) is not a number") }
        return value
    }
    func hex(_ name: String) throws -> UInt8 {
        let text = try required(name)
        let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard let value = UInt8(digits, radix: 16) else { throw ControlError("\(op): args.\(name) is not a hex byte") }
        return value
    }
}
