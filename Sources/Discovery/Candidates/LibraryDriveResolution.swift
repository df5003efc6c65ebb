/// Drive N of a real library, resolved to the drive's own node.
///
/// A changer and its drives are separate SCSI devices with separate nodes: the drive's
/// commands (TEST UNIT READY, ERASE, LOG SENSE…) must go to the drive, never to the changer.
/// The changer reports, per data-transfer element, the serial of the drive in that bay (DVCID,
/// READ ELEMENT STATUS); the host's drive nodes report theirs (udev, VPD 80h). Drive N is the
/// node whose serial matches bay N's, as `CandidateGrouping` pairs them. `tapelib library add`
/// registers the changer's bays this way and `tapelib drive … --drive N` sends commands this
/// way: one resolution for both.
extension CandidateFinder {
    /// The automatic-mode candidate of the changer at `sgPath` (its node or a by-id link): its bays in element-address
    /// order, each with the drive node matched by serial or the reason it is not.
    public func library(changer sgPath: String) async throws(DiscoveryError) -> ChangerCandidate {
        let all = try await candidates(mode: .automatic)
        // The node, or one of its /dev/tape/by-id links.
        guard let candidate = all.changers.first(where: { $0.changer.sgPath == sgPath })
            ?? all.changers.first(where: { $0.changer.byIdLinks.contains(sgPath) }) else {
            let seen = all.changers.map(\.changer.sgPath).joined(separator: ", ")
            throw DiscoveryError(.deviceNotFound,
                                 "no changer at \(sgPath) on this host (changers: \(seen.isEmpty ? "none" : seen))")
        }
        return candidate
    }

    /// Drive `number` (0…) of the library whose changer is at `sgPath`, as its own node.
    public func drive(_ number: Int, ofChanger sgPath: String) async throws(DiscoveryError) -> DiscoveredDevice {
        try Self.drive(number, of: try await library(changer: sgPath))
    }

    /// Drive `number` of `library`: the node matched to that bay, or a refusal that names the
    /// serial the changer reports for the bay and says what to pass instead.
    public static func drive(_ number: Int, of library: ChangerCandidate) throws(DiscoveryError) -> DiscoveredDevice {
        let changer = library.changer.sgPath
        guard library.bays.indices.contains(number) else {
            if let problem = library.problem {
                throw DiscoveryError(.deviceQueryFailed, "cannot resolve drive \(number): \(problem.message); "
                                     + "pass the drive's own node (--device /dev/sgM) instead of the changer's")
            }
            let count = library.bays.count
            throw DiscoveryError(.deviceNotFound, "no drive \(number): the library of changer \(changer) has "
                                 + "\(count) drive(s)" + (count > 0 ? ", numbered 0–\(count - 1)" : ""))
        }
        let bay = library.bays[number]
        if let drive = bay.drive { return drive }
        throw DiscoveryError(.driveNotResolved, unresolvedMessage(bay, changer: changer))
    }

    /// Why bay `bay` of `changer` has no node, with the serial and what to pass instead.
    public static func unresolvedMessage(_ bay: DriveBay, changer: String) -> String {
        let serial = bay.reportedSerial?.trimmingWhitespace() ?? ""
        var text = "drive \(bay.driveNumber) of changer \(changer) "
        text += serial.isEmpty ? "has no serial from the changer (DVCID)" : "has serial \(serial)"
        text += ", and no tape drive node on this host could be matched to it"
        if let problem = bay.problem { text += " (\(problem.message))" }
        text += "; pass the drive's own node instead of the changer's: --device /dev/sgM, "
        text += serial.isEmpty ? "the tape drive in that bay" : "the tape drive whose serial is \(serial)"
        text += " (`tapelib discover` lists each drive's node and serial)"
        return text
    }
}

extension DiscoveryError.Code {
    /// A library's drive N could not be resolved to its own node by serial.
    public static let driveNotResolved = DiscoveryError.Code(rawValue: "drive-not-resolved")
}
