/// Pairs changers with their drives. Pure: it sees only values, never a device.
///
/// Drives are matched to bays by serial number (the DVCID identifier a changer reports per
/// data-transfer element against each drive's own unit serial number), never by position:
/// the order in which the host numbers sg nodes says nothing about which bay a drive is in.
public enum CandidateGrouping {
    public static func manual(changers: [DiscoveredDevice], drives: [DiscoveredDevice]) -> Candidates {
        Candidates(mode: .manual,
                   changers: changers.map { ChangerCandidate(changer: $0, bays: [], problem: nil) },
                   drives: drives.map { DriveCandidate(drive: $0, problem: nil) })
    }

    public static func automatic(changers: [ChangerIdentity], drives: [DiscoveredDevice]) -> Candidates {
        var drivesBySerial: [String: [DiscoveredDevice]] = [:]
        for drive in drives {
            if let key = normalized(drive.serial) { drivesBySerial[key, default: []].append(drive) }
        }

        // First pass: which bays name which drive.
        var bays: [[DriveBay]] = []
        var claims: [String: Int] = [:]   // drive sg path → number of bays naming it
        for identity in changers {
            var changerBays: [DriveBay] = []
            for (number, element) in identity.dataTransferElements.enumerated() {
                var bay = DriveBay(driveNumber: number, elementAddress: element.elementAddress,
                                   reportedSerial: element.serial, drive: nil, problem: nil)
                let bayName = "drive \(number) (element \(hex(element.elementAddress))) of changer \(identity.changer.sgPath)"
                if let key = normalized(element.serial), let serial = element.serial {
                    let matches = drivesBySerial[key] ?? []
                    if matches.count == 1, let drive = matches.first {
                        bay.drive = drive
                        claims[drive.sgPath, default: 0] += 1
                    } else if matches.isEmpty {
                        bay.problem = CandidateProblem(.driveNotVisible,
                            "\(bayName) holds a drive with serial \(serial), but no drive with that serial is visible on this host")
                    } else {
                        bay.problem = CandidateProblem(.ambiguousSerial,
                            "\(bayName) reports serial \(serial), which \(matches.count) drives share (\(matches.map(\.sgPath).joined(separator: ", "))): pair them manually")
                    }
                } else {
                    let why = identity.identifierProblem ?? "the changer reported no device identifier (DVCID) for it"
                    bay.problem = CandidateProblem(.noDeviceIdentifier,
                        "\(bayName): \(why), so its drive cannot be matched by serial; pair it manually")
                }
                changerBays.append(bay)
            }
            bays.append(changerBays)
        }

        // Second pass: a drive named by two bays belongs to neither.
        for changerIndex in bays.indices {
            for bayIndex in bays[changerIndex].indices {
                guard let drive = bays[changerIndex][bayIndex].drive, (claims[drive.sgPath] ?? 0) > 1 else { continue }
                bays[changerIndex][bayIndex].drive = nil
                bays[changerIndex][bayIndex].problem = CandidateProblem(.claimedTwice,
                    "drive \(drive.sgPath) (serial \(drive.serial ?? "")) is reported in more than one drive bay: pair it manually")
            }
        }

        let changerCandidates = zip(changers, bays).map { identity, changerBays in
            ChangerCandidate(changer: identity.changer, bays: changerBays,
                             problem: identity.queryProblem.map {
                                 CandidateProblem(.changerNotQueried, "changer \(identity.changer.sgPath) could not be queried: \($0)")
                             })
        }

        let assigned = Set(bays.joined().compactMap { $0.drive?.sgPath })
        let baysWithoutIdentifier = changers.flatMap { identity in
            identity.dataTransferElements.filter { $0.serial == nil }.map { _ in identity.changer.sgPath }
        }
        let unqueried = changers.filter { $0.queryProblem != nil }.map(\.changer.sgPath)
        let unassigned = drives.filter { !assigned.contains($0.sgPath) }.map { drive in
            DriveCandidate(drive: drive, problem: unassignedReason(drive, drivesBySerial: drivesBySerial,
                                                                   claims: claims,
                                                                   baysWithoutIdentifier: baysWithoutIdentifier,
                                                                   unqueriedChangers: unqueried))
        }
        return Candidates(mode: .automatic, changers: changerCandidates, drives: unassigned)
    }

    private static func unassignedReason(_ drive: DiscoveredDevice, drivesBySerial: [String: [DiscoveredDevice]],
                                         claims: [String: Int], baysWithoutIdentifier: [String],
                                         unqueriedChangers: [String]) -> CandidateProblem {
        guard let key = normalized(drive.serial), let serial = drive.serial else {
            return CandidateProblem(.driveHasNoSerial,
                "drive \(drive.sgPath) has no serial number (none from udev, sysfs or VPD page 80h), so it cannot be matched to a changer")
        }
        if let shared = drivesBySerial[key], shared.count > 1 {
            return CandidateProblem(.ambiguousSerial,
                "drive \(drive.sgPath) shares serial \(serial) with \(shared.count - 1) other drive(s): pair it manually")
        }
        if (claims[drive.sgPath] ?? 0) > 1 {
            return CandidateProblem(.claimedTwice,
                "drive \(drive.sgPath) (serial \(serial)) is reported in more than one drive bay: pair it manually")
        }
        var message = "no changer reports a drive with serial \(serial) (drive \(drive.sgPath)); it may be a standalone drive"
        if !baysWithoutIdentifier.isEmpty {
            let changers = Array(Set(baysWithoutIdentifier)).sorted().joined(separator: ", ")
            message += ", or sit in a bay for which changer \(changers) gave no device identifier"
        }
        if !unqueriedChangers.isEmpty {
            message += ", or belong to changer \(unqueriedChangers.joined(separator: ", ")), which could not be queried"
        }
        return CandidateProblem(.notInAnyChanger, message)
    }

    /// Serials compare without surrounding padding and case (changers and drives pad the same
    /// number differently).
    static func normalized(_ serial: String?) -> String? {
        guard let trimmed = serial?.trimmingWhitespace(), !trimmed.isEmpty else { return nil }
        return trimmed.uppercased()
    }

    private static func hex(_ address: UInt16) -> String {
        let digits = String(address, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
