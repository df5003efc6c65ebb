import ArgumentParser
import Foundation
import SCSI
import SGTransport

/// Runs CDBs through tapelib's own SG_IO path (SGTransport → libsgutils2 → ioctl), so tests
/// can drive it against the simulator through the sg shim (LD_PRELOAD) from a subprocess.
struct SGRaw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-raw",
        abstract: "Send one CDB with SGTransport and print status, sense, residual and data.")

    @Option(help: "sg node, e.g. /dev/sg3 or /dev/hwsim/sg1 under the shim.") var device: String
    @Option(help: "Data-in allocation length.") var `in`: Int?
    @Option(help: "Data-out bytes as hex.") var out: String?
    @Flag(name: .customLong("in-place"), help: "Lend the data-out bytes in place (DataTransfer.toDeviceInPlace), as a copy's block buffers are.")
    var inPlace = false
    @Option(help: "Timeout in seconds (default: the command class's).") var timeout: Int?
    @Argument(help: "CDB bytes in hex, e.g. 12 00 00 00 24 00.") var cdb: [String]

    func run() async throws {
        let cdbBytes = try HexBytes.parse(cdb.joined())
        var transfer: DataTransfer
        if let out { transfer = .toDevice(try HexBytes.parse(out)) }
        else if let length = `in` { transfer = .fromDevice(allocationLength: length) }
        else { transfer = .none }
        // In place: the bytes live in memory of our own until the command returns.
        let lent = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, transfer.length), alignment: 4_096)
        defer { lent.deallocate() }
        if inPlace, case .toDevice(let bytes) = transfer {
            lent.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count))
            transfer = .toDeviceInPlace(BorrowedBytes(UnsafeRawBufferPointer(rebasing: lent[0..<bytes.count])))
        }
        let command = SCSICommand(cdb: cdbBytes, transfer: transfer, timeout: timeout.map { .seconds($0) })
        switch await Self.send(command, to: device) {
        case .success(let result):
            print("status=\(HexBytes.format([result.status.rawValue])) residual=\(result.residual) "
                  + "host=\(result.hostStatus) driver=\(result.driverStatus)")
            print("sense=\(HexBytes.format(result.sense))")
            print("data=\(HexBytes.format(result.data))")
        case .failure(let error):
            print("error=\(error.code.rawValue) errno=\(error.errno.map { String($0) } ?? "-") \(error.message)")
            throw ExitCode(2)
        }
    }
}

extension SGRaw {
    static func send(_ command: SCSICommand, to path: String) async -> Result<SCSIResult, TransportError> {
        let transport: SGTransport
        do { transport = try await SGTransport.open(path: path) } catch { return .failure(error) }
        let result: Result<SCSIResult, TransportError>
        do { result = .success(try await transport.execute(command)) } catch { result = .failure(error) }
        await transport.close()
        return result
    }
}

enum HexBytes {
    static func parse(_ text: String) throws -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace }
        guard digits.count % 2 == 0 else { throw ValidationError("odd number of hex digits in \(text)") }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else {
                throw ValidationError("not hex: \(digits[index..<next])")
            }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    static func format(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
