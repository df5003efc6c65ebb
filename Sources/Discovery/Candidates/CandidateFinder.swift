/// Candidates for the API's candidate endpoints, from whichever discovery source the service
/// was started with (udev on a media server, the simulator's registry under hwsim).
public struct CandidateFinder: Sendable {
    public let source: any DiscoverySource

    public init(source: any DiscoverySource) {
        self.source = source
    }

    /// Changers and drives to add: grouped by serial in automatic mode, all of them in manual mode.
    public func candidates(mode: CandidateMode) async throws(DiscoveryError) -> Candidates {
        let devices = try await source.devices()
        let changers = devices.filter { $0.kind == .changer }
        let drives = devices.filter { $0.kind == .drive }
        switch mode {
        case .manual:
            return CandidateGrouping.manual(changers: changers, drives: drives)
        case .automatic:
            var identities: [ChangerIdentity] = []
            for changer in changers {
                do throws(DiscoveryError) {
                    let transport = try await source.transport(for: changer.sgPath)
                    identities.append(await ChangerQuery.identity(of: changer, through: transport))
                } catch {
                    identities.append(ChangerIdentity(changer: changer, dataTransferElements: [],
                                                      queryProblem: error.description))
                }
            }
            return CandidateGrouping.automatic(changers: identities, drives: drives)
        }
    }

    /// Drives for one changer (the library_tape_drives/candidates endpoint): in automatic mode
    /// the drives in its bays; in manual mode every drive.
    public func driveCandidates(forChanger sgPath: String, mode: CandidateMode) async throws(DiscoveryError) -> [DriveCandidate] {
        let all = try await candidates(mode: mode)
        switch mode {
        case .manual:
            return all.drives
        case .automatic:
            guard let group = all.changers.first(where: { $0.changer.sgPath == sgPath }) else {
                throw DiscoveryError(.deviceNotFound, "no changer at \(sgPath)")
            }
            return group.bays.compactMap { bay in bay.drive.map { DriveCandidate(drive: $0, problem: nil) } }
        }
    }

    /// INQUIRY, element counts and slots of the changer at `sgPath`.
    public func changerInfo(sgPath: String) async throws(DiscoveryError) -> ChangerInfo {
        let transport = try await source.transport(for: sgPath)
        return try await ChangerQuery.info(sgPath: sgPath, through: transport)
    }
}
