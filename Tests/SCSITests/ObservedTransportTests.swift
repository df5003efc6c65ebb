import Synchronization
import Testing
@testable import SCSI

/// ObservedTransport reports each command's outcome and passes the result through unchanged.
@Suite struct ObservedTransportTests {
    struct Canned: SCSITransport {
        let result: Result<SCSIResult, TransportError>
        func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult { try result.get() }
    }

    final class Recorder: SCSICommandObserver {
        let outcomes = Mutex<[SCSICommandOutcome]>([])
        func commandCompleted(_ outcome: SCSICommandOutcome) { outcomes.withLock { $0.append(outcome) } }
        var all: [SCSICommandOutcome] { outcomes.withLock { $0 } }
    }

    @Test("a CHECK CONDITION is reported with its sense key (fixed format, SPC-4 table 48: key in byte 2 bits 3-0)")
    func checkConditionWithSenseKey() async throws {
        // 70h current fixed sense; key 2 NOT READY; ASC/ASCQ 3A/00 MEDIUM NOT PRESENT.
        var sense = [UInt8](repeating: 0, count: 18)
        sense[0] = 0x70; sense[2] = 0x02; sense[7] = 10; sense[12] = 0x3A
        let expected = SCSIResult(status: .checkCondition, sense: sense)
        let recorder = Recorder()
        let transport = ObservedTransport(Canned(result: .success(expected)), observer: recorder)
        let result = try await transport.execute(SCSICommand(cdb: [0x00, 0, 0, 0, 0, 0]))
        #expect(result == expected)
        let outcome = try #require(recorder.all.first)
        #expect(recorder.all.count == 1)
        #expect(outcome.operationCode == 0x00)
        #expect(outcome.status == .checkCondition)
        #expect(outcome.senseKey == .notReady)
        #expect(outcome.transportError == nil)
    }

    @Test("GOOD has no sense key; unparsable sense of a CHECK CONDITION gives none rather than a guess")
    func goodAndGarbledSense() async throws {
        let recorder = Recorder()
        _ = try await ObservedTransport(Canned(result: .success(SCSIResult(status: .good))), observer: recorder)
            .execute(SCSICommand(cdb: [0xA5] + [UInt8](repeating: 0, count: 11)))
        _ = try await ObservedTransport(Canned(result: .success(SCSIResult(status: .checkCondition, sense: [0x70]))),
                                        observer: recorder)
            .execute(SCSICommand(cdb: [0xB8] + [UInt8](repeating: 0, count: 11)))
        let outcomes = recorder.all
        #expect(outcomes.map(\.operationCode) == [0xA5, 0xB8])
        #expect(outcomes.map(\.status) == [.good, .checkCondition])
        #expect(outcomes.map(\.senseKey) == [nil, nil])
    }

    @Test("a transport failure is reported by its code and rethrown unchanged")
    func transportFailure() async throws {
        let recorder = Recorder()
        let error = TransportError(.timedOut, "no answer")
        let transport = ObservedTransport(Canned(result: .failure(error)), observer: recorder)
        await #expect(throws: error) { try await transport.execute(SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0])) }
        #expect(recorder.all.first?.transportError == .timedOut)
        #expect(recorder.all.first?.status == nil)
    }
}
