import Testing
@testable import SCSI

/// Every builder checked byte by byte against the CDB table of its standard.
@Suite struct PrimaryCommandTests {
    @Test func testUnitReady() {  // SPC-4 table 182
        let c = SCSICommand.testUnitReady()
        #expect(c.cdb == [0, 0, 0, 0, 0, 0])
        #expect(c.transfer == .none)
        #expect(c.timeout == .seconds(30))
    }

    @Test func requestSense() {  // SPC-4 table 166
        #expect(SCSICommand.requestSense().cdb == [0x03, 0, 0, 0, 252, 0])
        let d = SCSICommand.requestSense(allocationLength: 96, descriptorFormat: true)
        #expect(d.cdb == [0x03, 0x01, 0, 0, 96, 0])
        #expect(d.transfer == .fromDevice(allocationLength: 96))
    }

    @Test func inquiry() {  // SPC-4 table 142
        #expect(SCSICommand.inquiry().cdb == [0x12, 0, 0, 0x00, 0xFF, 0])
        let vpd = SCSICommand.inquiry(evpd: true, page: 0x83, allocationLength: 0x1000)
        #expect(vpd.cdb == [0x12, 0x01, 0x83, 0x10, 0x00, 0])
        #expect(vpd.transfer == .fromDevice(allocationLength: 0x1000))
        // Page code without EVPD would be an invalid field (SPC-4 6.6.1); it is dropped.
        #expect(SCSICommand.inquiry(evpd: false, page: 0x80).cdb[2] == 0)
    }

    @Test func modeSense6() {  // SPC-4 table 98
        // mtx style: page 1Dh, DBD set, allocation 0x88.
        let c = SCSICommand.modeSense6(page: 0x1D, dbd: true, allocationLength: 0x88)
        #expect(c.cdb == [0x1A, 0x08, 0x1D, 0x00, 0x88, 0x00])
        let ch = SCSICommand.modeSense6(page: 0x3F, subpage: 0xFF, pageControl: .changeable)
        #expect(ch.cdb == [0x1A, 0x00, 0x7F, 0xFF, 0xFF, 0x00])
    }

    @Test func modeSense10() {  // SPC-4 table 100
        let c = SCSICommand.modeSense10(page: 0x11, dbd: true, pageControl: .saved, llbaa: true,
                                        allocationLength: 0x0200)
        #expect(c.cdb == [0x5A, 0x18, 0xD1, 0x00, 0, 0, 0, 0x02, 0x00, 0])
        #expect(c.transfer == .fromDevice(allocationLength: 512))
    }

    @Test func modeSelect() {  // SPC-4 tables 94 and 96
        let params: [UInt8] = Array(repeating: 0xAB, count: 28)
        let s6 = SCSICommand.modeSelect6(parameters: params)
        #expect(s6.cdb == [0x15, 0x10, 0, 0, 28, 0])
        #expect(s6.transfer == .toDevice(params))
        let s10 = SCSICommand.modeSelect10(parameters: params, pf: true, sp: true)
        #expect(s10.cdb == [0x55, 0x11, 0, 0, 0, 0, 0, 0x00, 28, 0])
    }

    @Test func logSense() {  // SPC-4 table 118
        let c = SCSICommand.logSense(page: 0x2E, allocationLength: 0x0400)
        #expect(c.cdb == [0x4D, 0x00, 0x6E, 0x00, 0, 0x00, 0x00, 0x04, 0x00, 0])
        let p = SCSICommand.logSense(page: 0x17, subpage: 1, ppc: true, pc: .thresholdDefault,
                                     parameterPointer: 0x0101, allocationLength: 0xFFFF)
        #expect(p.cdb == [0x4D, 0x02, 0x97, 0x01, 0, 0x01, 0x01, 0xFF, 0xFF, 0])
        #expect(p.timeout == .seconds(120))
    }

    @Test func logSelect() {  // SPC-4 table 115
        let reset = SCSICommand.logSelect(pcr: true, pc: .cumulativeCurrent)
        #expect(reset.cdb == [0x4C, 0x02, 0x40, 0, 0, 0, 0, 0, 0, 0])
        #expect(reset.transfer == .none)
        let withData = SCSICommand.logSelect(page: 0x2E, parameters: [1, 2, 3, 4], sp: true)
        #expect(withData.cdb == [0x4C, 0x01, 0x6E, 0, 0, 0, 0, 0, 4, 0])
        #expect(withData.transfer == .toDevice([1, 2, 3, 4]))
    }

    @Test func readAttribute() {  // SPC-4 table 132
        let c = SCSICommand.readAttribute(serviceAction: .attributeValues, partition: 1,
                                          firstAttribute: 0x0806, allocationLength: 0x400)
        #expect(c.cdb == [0x8C, 0x00, 0, 0, 0, 0, 0, 0x01, 0x08, 0x06, 0x00, 0x00, 0x04, 0x00, 0, 0])
        let list = SCSICommand.readAttribute(serviceAction: .attributeList, volume: 2, cache: true)
        #expect(list.cdb == [0x8C, 0x01, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0x01, 0])
        #expect(list.timeout == .seconds(60))
    }

    @Test func writeAttribute() {  // SPC-4 table 186
        let params: [UInt8] = [0, 0, 0, 5, 0x08, 0x06, 0x01, 0x00, 0x00]
        let c = SCSICommand.writeAttribute(parameters: params, writeThrough: true, partition: 0)
        #expect(c.cdb == [0x8D, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0])
        #expect(c.transfer == .toDevice(params))
    }

    @Test func reportLUNs() {  // SPC-4 table 162
        #expect(SCSICommand.reportLUNs(selectReport: 2, allocationLength: 0x1_0000).cdb
                == [0xA0, 0, 0x02, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0, 0])
    }

    @Test func reportSupportedOperationCodes() {  // SPC-4 table 256
        let c = SCSICommand.reportSupportedOperationCodes(reportingOptions: 1, requestedOpcode: 0xB8,
                                                          rctd: true, allocationLength: 512)
        #expect(c.cdb == [0xA3, 0x0C, 0x81, 0xB8, 0, 0, 0, 0, 0x02, 0x00, 0, 0])
    }

    @Test func securityProtocol() {  // SPC-4 tables 174 and 176
        let i = SCSICommand.securityProtocolIn(protocol: 0x20, specific: 0x0011, allocationLength: 0x2000)
        #expect(i.cdb == [0xA2, 0x20, 0x00, 0x11, 0x00, 0, 0, 0, 0x20, 0x00, 0, 0])
        let o = SCSICommand.securityProtocolOut(protocol: 0x20, specific: 0x0010, inc512: true, data: [9, 9])
        #expect(o.cdb == [0xB5, 0x20, 0x00, 0x10, 0x80, 0, 0, 0, 0, 2, 0, 0])
        #expect(o.transfer == .toDevice([9, 9]))
    }

    @Test func preventAllow() {  // SPC-4 table 10 / SMC-3 table 10
        #expect(SCSICommand.preventAllowMediumRemoval(prevent: true).cdb == [0x1E, 0, 0, 0, 1, 0])
        #expect(SCSICommand.preventAllowMediumRemoval(prevent: false).cdb == [0x1E, 0, 0, 0, 0, 0])
    }
}

@Suite struct ChangerCommandTests {
    @Test func initializeElementStatus() {  // SMC-3 table 8
        let c = SCSICommand.initializeElementStatus()
        #expect(c.cdb == [0x07, 0, 0, 0, 0, 0])
        #expect(c.timeout == .seconds(1800))
    }

    @Test func initializeElementStatusWithRange() {  // SMC-3 table 9
        let c = SCSICommand.initializeElementStatusWithRange(startingAddress: 0x0400, count: 0x20, fast: true)
        #expect(c.cdb == [0x37, 0x03, 0x04, 0x00, 0, 0, 0x00, 0x20, 0, 0])
        #expect(c.timeout == .seconds(1800))
        let mhvtl = SCSICommand.initializeElementStatusWithRange(startingAddress: 1, count: 1,
                                                                 operationCode: 0xE7)
        #expect(mhvtl.cdb[0] == 0xE7)
    }

    @Test func moveMedium() {  // SMC-3 table 14; EEPOS in byte 11 bits 7–6
        let c = SCSICommand.moveMedium(transport: 0x0000, source: 0x1000, destination: 0x0100)
        #expect(c.cdb == [0xA5, 0, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0, 0, 0, 0])
        #expect(c.timeout == .seconds(300))
        #expect(c.transfer == .none)
        let e = SCSICommand.moveMedium(transport: 1, source: 0x1001, destination: 0x0010,
                                       invert: true, eepos: .extend)
        #expect(e.cdb == [0xA5, 0, 0x00, 0x01, 0x10, 0x01, 0x00, 0x10, 0, 0, 0x01, 0x80])
        #expect(SCSICommand.moveMedium(transport: 0, source: 1, destination: 2, eepos: .retract).cdb[11] == 0x40)
    }

    @Test func exchangeMedium() {  // SMC-3 table 6
        let c = SCSICommand.exchangeMedium(transport: 1, source: 0x1000, firstDestination: 0x0100,
                                           secondDestination: 0x1001, invert1: true, invert2: true)
        #expect(c.cdb == [0xA6, 0, 0x00, 0x01, 0x10, 0x00, 0x01, 0x00, 0x10, 0x01, 0x03, 0])
    }

    @Test func readElementStatus() {  // SMC-3 table 21
        let all = SCSICommand.readElementStatus()
        #expect(all.cdb == [0xB8, 0x10, 0, 0, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0, 0])
        #expect(all.transfer == .fromDevice(allocationLength: 0xFFFF))
        let drives = SCSICommand.readElementStatus(elementType: .dataTransfer, startingAddress: 0x0100,
                                                   count: 4, volumeTag: false, curData: true,
                                                   dvcid: true, allocationLength: 0x12345)
        #expect(drives.cdb == [0xB8, 0x04, 0x01, 0x00, 0x00, 0x04, 0x03, 0x01, 0x23, 0x45, 0, 0])
        // The allocation length field is 24 bits wide.
        #expect(SCSICommand.readElementStatus(allocationLength: 0x0100_0000).cdb[7...9] == [0xFF, 0xFF, 0xFF])
    }

    @Test func positionToElement() {  // SMC-3 table 17
        let c = SCSICommand.positionToElement(transport: 0, destination: 0x1005, invert: true)
        #expect(c.cdb == [0x2B, 0, 0x00, 0x00, 0x10, 0x05, 0, 0, 0x01, 0])
        #expect(c.timeout == .seconds(300))
    }

    @Test func openCloseImportExport() {  // SMC-3 table 12
        #expect(SCSICommand.openImportExportElement(address: 0x0010).cdb == [0x1B, 0, 0x00, 0x10, 0x00, 0])
        #expect(SCSICommand.closeImportExportElement(address: 0x0010).cdb == [0x1B, 0, 0x00, 0x10, 0x01, 0])
        #expect(SCSICommand.openImportExportElement(address: 0x0010).timeout == .seconds(300))
    }
}

@Suite struct TapeCommandTests {
    @Test func rewind() {  // SSC-4 table 54
        #expect(SCSICommand.rewind().cdb == [0x01, 0, 0, 0, 0, 0])
        #expect(SCSICommand.rewind(immediate: true).cdb == [0x01, 1, 0, 0, 0, 0])
        #expect(SCSICommand.rewind().timeout == .seconds(780))
    }

    @Test func formatMedium() {  // SSC-4 table 15
        #expect(SCSICommand.formatMedium(format: .partition, immediate: true).cdb == [0x04, 0x01, 0x01, 0, 0, 0])
        #expect(SCSICommand.formatMedium(format: .defaultThenPartition, verify: true).cdb == [0x04, 0x02, 0x02, 0, 0, 0])
        #expect(SCSICommand.formatMedium().timeout == .seconds(3000))
    }

    @Test func readBlockLimits() {  // SSC-4 table 35
        #expect(SCSICommand.readBlockLimits().cdb == [0x05, 0, 0, 0, 0, 0])
        #expect(SCSICommand.readBlockLimits().transfer == .fromDevice(allocationLength: 6))
        #expect(SCSICommand.readBlockLimits(mloi: true).cdb == [0x05, 1, 0, 0, 0, 0])
        #expect(SCSICommand.readBlockLimits(mloi: true).transfer == .fromDevice(allocationLength: 20))
    }

    @Test func read6() {  // SSC-4 table 30
        let v = SCSICommand.read6(length: 0x040000, sili: true)
        #expect(v.cdb == [0x08, 0x02, 0x04, 0x00, 0x00, 0])
        #expect(v.transfer == .fromDevice(allocationLength: 0x40000))
        let f = SCSICommand.read6(length: 16, fixed: true, blockSize: 512)
        #expect(f.cdb == [0x08, 0x01, 0x00, 0x00, 0x10, 0])
        #expect(f.transfer == .fromDevice(allocationLength: 8192))
        // SILI with FIXED is an illegal combination (SSC-4 7.2): SILI is dropped.
        #expect(SCSICommand.read6(length: 1, fixed: true, sili: true, blockSize: 512).cdb[1] == 0x01)
    }

    @Test func write6() {  // SSC-4 table 67
        let data = [UInt8](repeating: 0x55, count: 1024)
        let v = SCSICommand.write6(data: data)
        #expect(v.cdb == [0x0A, 0x00, 0x00, 0x04, 0x00, 0])
        #expect(v.transfer == .toDevice(data))
        let f = SCSICommand.write6(data: data, fixed: true, blockSize: 512)
        #expect(f.cdb == [0x0A, 0x01, 0x00, 0x00, 0x02, 0])
    }

    @Test func setCapacity() {  // SSC-4 table 57
        #expect(SCSICommand.setCapacity(proportion: 0x8000, immediate: true).cdb == [0x0B, 1, 0, 0x80, 0x00, 0])
    }

    @Test func writeFilemarks() {  // SSC-4 table 70
        #expect(SCSICommand.writeFilemarks6(count: 2).cdb == [0x10, 0, 0, 0, 2, 0])
        #expect(SCSICommand.writeFilemarks6(count: 0, immediate: true).cdb == [0x10, 1, 0, 0, 0, 0])
    }

    @Test func space6() {  // SSC-4 table 43, count is 24-bit two's complement
        #expect(SCSICommand.space6(code: .filemarks, count: 3).cdb == [0x11, 0x01, 0, 0, 3, 0])
        #expect(SCSICommand.space6(code: .logicalBlocks, count: -1).cdb == [0x11, 0x00, 0xFF, 0xFF, 0xFF, 0])
        #expect(SCSICommand.space6(code: .endOfData, count: 0).cdb == [0x11, 0x03, 0, 0, 0, 0])
        #expect(SCSICommand.space6(code: .filemarks, count: .min).cdb == [0x11, 0x01, 0x80, 0x00, 0x00, 0])
    }

    @Test func space16() {  // SSC-4 table 45
        #expect(SCSICommand.space16(code: .filemarks, count: -2).cdb
                == [0x91, 0x01, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 0])
    }

    @Test func verify6() {  // SSC-4 table 65
        #expect(SCSICommand.verify6(length: 0x10, fixed: true, immediate: true).cdb == [0x13, 0x05, 0, 0, 0x10, 0])
    }

    @Test func erase() {  // SSC-4 table 13
        let long = SCSICommand.erase(long: true, immediate: true)
        #expect(long.cdb == [0x19, 0x03, 0, 0, 0, 0])
        #expect(long.timeout == .seconds(180_000))
        let short = SCSICommand.erase(long: false)
        #expect(short.cdb == [0x19, 0x00, 0, 0, 0, 0])
        #expect(short.timeout == .seconds(780))
    }

    @Test func loadUnload() {  // SSC-4 table 18
        #expect(SCSICommand.loadUnload(load: true).cdb == [0x1B, 0, 0, 0, 0x01, 0])
        #expect(SCSICommand.loadUnload(load: false, immediate: true, retension: true, eot: true, hold: true).cdb
                == [0x1B, 0x01, 0, 0, 0x0E, 0])
        #expect(SCSICommand.loadUnload(load: true).timeout == .seconds(1020))
    }

    @Test func locate10() {  // SSC-4 table 21
        #expect(SCSICommand.locate10(partition: 1, block: 0x01020304, changePartition: true, immediate: true).cdb
                == [0x2B, 0x03, 0, 0x01, 0x02, 0x03, 0x04, 0, 0x01, 0])
        #expect(SCSICommand.locate10(block: 5).cdb == [0x2B, 0, 0, 0, 0, 0, 5, 0, 0, 0])
    }

    @Test func locate16() {  // SSC-4 table 23
        #expect(SCSICommand.locate16(partition: 1, block: 0x1_0000_0000, changePartition: true).cdb
                == [0x92, 0x02, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(SCSICommand.locate16(block: 0, destination: .endOfData).cdb[1] == 0x18)
    }

    @Test(arguments: [
        (ReadPositionServiceAction.shortForm, UInt8(0x00), 20),
        (.shortFormVendorSpecific, 0x01, 20),
        (.longForm, 0x06, 32),
        (.extendedForm, 0x08, 32),
    ])
    func readPosition(action: ReadPositionServiceAction, code: UInt8, length: Int) {  // SSC-4 table 32
        let c = SCSICommand.readPosition(serviceAction: action)
        let allocation: [UInt8] = action == .extendedForm ? [0, 32] : [0, 0]
        #expect(c.cdb == [0x34, code, 0, 0, 0, 0, 0] + allocation + [0])
        #expect(c.transfer == .fromDevice(allocationLength: length))
        #expect(c.timeout == .seconds(30))
    }

    @Test func reportDensitySupport() {  // SSC-4 table 38
        #expect(SCSICommand.reportDensitySupport(media: true, allocationLength: 0x400).cdb
                == [0x44, 0x01, 0, 0, 0, 0, 0, 0x04, 0x00, 0])
        #expect(SCSICommand.reportDensitySupport(mediumType: true).cdb[1] == 0x02)
    }
}
