import CSGUtils
import Foundation
import SCSI

/// One SG_IO round trip through libsgutils2, blocking: call it only on a device thread.
enum SGPassThrough {
    /// Sense buffer sizes: autosense needs at least 32 bytes (descriptor format can exceed
    /// 18); REQUEST SENSE may return up to 252 bytes (SPC-4 §6.39), so give it the maximum.
    static func senseCapacity(for cdb: [UInt8]) -> Int { cdb.first == 0x03 ? 252 : 96 }

    /// How many times a submission interrupted by a signal (EINTR) is retried.
    static let interruptRetries = 16

    static func execute(_ command: SCSICommand, fd: Int32, path: String) -> Result<SCSIResult, TransportError> {
        guard !command.cdb.isEmpty, command.cdb.count <= 260 else {
            return .failure(TransportError(.invalidDevice, "\(path): CDB length \(command.cdb.count) is not supported"))
        }
        guard let object = construct_scsi_pt_obj() else {
            return .failure(TransportError(.io, "\(path): cannot allocate a pass-through object"))
        }
        defer { destruct_scsi_pt_obj(object) }

        var cdb = command.cdb
        var sense = [UInt8](repeating: 0, count: senseCapacity(for: command.cdb))
        var dataIn = [UInt8]()
        let seconds = command.timeout.components.seconds
        let timeoutSeconds = Int32(clamping: max(1, seconds + (command.timeout.components.attoseconds > 0 ? 1 : 0)))

        var submitted: Int32 = 0
        cdb.withUnsafeMutableBufferPointer { cdbBuffer in
            sense.withUnsafeMutableBufferPointer { senseBuffer in
                set_scsi_pt_cdb(object, cdbBuffer.baseAddress, Int32(cdbBuffer.count))
                set_scsi_pt_sense(object, senseBuffer.baseAddress, Int32(senseBuffer.count))
                switch command.transfer {
                case .none:
                    submitted = submit(object, fd: fd, timeout: timeoutSeconds)
                case .fromDevice(let length):
                    dataIn = [UInt8](repeating: 0, count: max(0, length))
                    dataIn.withUnsafeMutableBufferPointer { buffer in
                        set_scsi_pt_data_in(object, buffer.baseAddress, Int32(clamping: buffer.count))
                        submitted = submit(object, fd: fd, timeout: timeoutSeconds)
                    }
                case .toDevice(let bytes):
                    // The caller's bytes as they are (sg_pt takes a const pointer): no copy of the
                    // block before the kernel's.
                    bytes.withUnsafeBufferPointer { buffer in
                        set_scsi_pt_data_out(object, buffer.baseAddress, Int32(clamping: buffer.count))
                        submitted = submit(object, fd: fd, timeout: timeoutSeconds)
                    }
                case .toDeviceInPlace(let bytes):
                    set_scsi_pt_data_out(object, bytes.base?.assumingMemoryBound(to: UInt8.self), Int32(clamping: bytes.count))
                    submitted = submit(object, fd: fd, timeout: timeoutSeconds)
                }
            }
        }

        if submitted < 0 {
            return .failure(.fromErrno(-submitted, path: path, operation: "SG_IO"))
        }
        if submitted == SCSI_PT_DO_TIMEOUT {
            return .failure(TransportError(.timedOut, "\(path): command 0x\(hex(command.operationCode)) timed out after \(timeoutSeconds) s"))
        }
        if submitted != 0 {
            return .failure(TransportError(.io, "\(path): pass-through refused the command (sg_pt code \(submitted))"))
        }
        let osError = get_scsi_pt_os_err(object)
        if get_scsi_pt_result_category(object) == SCSI_PT_RESULT_OS_ERR || osError != 0 {
            return .failure(.fromErrno(osError == 0 ? EIO : osError, path: path, operation: "SG_IO"))
        }

        let hostStatus = UInt16(truncatingIfNeeded: tapelib_sg_pt_host_status(object))
        let driverStatus = UInt16(truncatingIfNeeded: tapelib_sg_pt_driver_status(object))
        if let error = LinuxHostStatus.error(host: hostStatus, driver: driverStatus, path: path,
                                             opcode: command.operationCode) {
            return .failure(error)
        }

        let statusValue = get_scsi_pt_status_response(object)
        let senseLength = max(0, min(Int(get_scsi_pt_sense_len(object)), sense.count))
        let residual = max(0, Int(get_scsi_pt_resid(object)))
        var data = [UInt8]()
        if case .fromDevice = command.transfer {
            // Drop the residual in place: a 1 MB inventory response is not copied again.
            dataIn.removeLast(min(residual, dataIn.count))
            data = dataIn
        }
        return .success(SCSIResult(
            status: SCSIStatus(rawValue: UInt8(truncatingIfNeeded: max(0, statusValue))),
            data: data,
            sense: Array(sense.prefix(senseLength)),
            residual: residual,
            hostStatus: hostStatus,
            driverStatus: driverStatus))
    }

    /// do_scsi_pt, retrying submissions interrupted by a signal.
    private static func submit(_ object: OpaquePointer, fd: Int32, timeout: Int32) -> Int32 {
        var attempt = 0
        while true {
            let code = do_scsi_pt(object, fd, timeout, 0)
            if code == -EINTR && attempt < interruptRetries {
                attempt += 1
                continue
            }
            return code
        }
    }


    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}

/// Linux SCSI midlayer host (DID_*) and driver (DRIVER_*) status codes
/// (include/scsi/scsi_status.h, sg driver's sg_io_hdr).
enum LinuxHostStatus {
    static let noConnect: UInt16 = 0x01
    static let busBusy: UInt16 = 0x02
    static let timeOut: UInt16 = 0x03
    static let badTarget: UInt16 = 0x04
    static let driverBusy: UInt16 = 0x01
    static let driverError: UInt16 = 0x04
    static let driverInvalid: UInt16 = 0x05
    static let driverTimeout: UInt16 = 0x06
    static let driverHard: UInt16 = 0x07

    /// Host status other than DID_OK means the command may not have reached the device and
    /// no SCSI status is valid: that is a transport error.
    static func error(host: UInt16, driver: UInt16, path: String, opcode: UInt8) -> TransportError? {
        let op = "command 0x" + SGPassThrough.hex(opcode)
        if driver & 0x0F == driverTimeout || host == timeOut {
            return TransportError(.timedOut, "\(path): \(op) timed out (host status 0x\(String(host, radix: 16)), driver status 0x\(String(driver, radix: 16)))")
        }
        switch host {
        case 0:
            // DRIVER_SENSE (08h) and DRIVER_SOFT/MEDIA come with a valid status and sense;
            // busy, error, invalid and hard driver results do not.
            switch driver & 0x0F {
            case driverBusy:
                return TransportError(.busy, "\(path): \(op): driver busy (driver status 0x\(String(driver, radix: 16)))")
            case driverError, driverInvalid, driverHard:
                return TransportError(.hostError, "\(path): \(op): driver error (driver status 0x\(String(driver, radix: 16)))")
            default:
                return nil
            }
        case noConnect, badTarget:
            return TransportError(.deviceGone, "\(path): \(op): device is gone (host status 0x\(String(host, radix: 16)): no connection to the target)")
        case busBusy:
            return TransportError(.busy, "\(path): \(op): SCSI bus busy (host status 0x02)")
        default:
            return TransportError(.hostError, "\(path): \(op): host adapter error (host status 0x\(String(host, radix: 16)), driver status 0x\(String(driver, radix: 16)))")
        }
    }
}
