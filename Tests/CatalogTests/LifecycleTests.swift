import Testing
@testable import Catalog

@Suite struct LifecycleTests {
    static let allowed: [(CartridgeStatus, CartridgeStatus)] = [
        (.scratch, .append), (.append, .full), (.full, .scratch), (.append, .readOnly),
        (.readOnly, .append), (.error, .scratch), (.full, .exported), (.exported, .full),
        (.full, .retired), (.retired, .exported),
    ]

    static let forbidden: [(CartridgeStatus, CartridgeStatus)] = [
        (.retired, .scratch), (.retired, .append), (.error, .append), (.error, .full),
        (.full, .append), (.scratch, .cleaning), (.append, .cleaning),
    ]

    @Test(arguments: allowed)
    func dataCartridgeSteps(from: CartridgeStatus, to: CartridgeStatus) throws {
        try CartridgeLifecycle.check(from: from, to: to, isWORM: false, isCleaning: false)
    }

    @Test(arguments: forbidden)
    func forbiddenStepsNameBothStates(from: CartridgeStatus, to: CartridgeStatus) {
        #expect(throws: CartridgeTransitionError.self) {
            try CartridgeLifecycle.check(from: from, to: to, isWORM: false, isCleaning: false)
        }
        do {
            try CartridgeLifecycle.check(from: from, to: to, isWORM: false, isCleaning: false)
        } catch {
            #expect(error.from == from && error.to == to)
            #expect(error.description.contains(from.rawValue) && error.description.contains(to.rawValue))
        }
    }

    @Test(arguments: [CartridgeStatus.append, .full, .readOnly, .error, .exported])
    func wormNeverReturnsToScratch(from: CartridgeStatus) {
        #expect(throws: CartridgeTransitionError.self) {
            try CartridgeLifecycle.check(from: from, to: .scratch, isWORM: true, isCleaning: false)
        }
    }

    @Test func cleaningCartridgeStaysCleaning() throws {
        #expect(throws: CartridgeTransitionError.self) {
            try CartridgeLifecycle.check(from: .cleaning, to: .scratch, isWORM: false, isCleaning: true)
        }
        try CartridgeLifecycle.check(from: .cleaning, to: .retired, isWORM: false, isCleaning: true)
        try CartridgeLifecycle.check(from: .cleaning, to: .exported, isWORM: false, isCleaning: true)
        try CartridgeLifecycle.check(from: .exported, to: .cleaning, isWORM: false, isCleaning: true)
    }

    @Test(arguments: QueueStore.allCases) func catalogRejectsIllegalTransitionAndKeepsState(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let worm = try await fixture.catalog.registerCartridge(volumeTag: "WRM001LZ")
        let id = try #require(worm.id)
        #expect(worm.isWorm)
        try await fixture.catalog.setCartridgeStatus(id, to: .append)
        try await fixture.catalog.setCartridgeStatus(id, to: .full)
        do {
            try await fixture.catalog.setCartridgeStatus(id, to: .scratch)
            Issue.record("WORM cartridge returned to scratch")
        } catch {
            #expect(error == .illegalTransition(CartridgeTransitionError(
                from: .full, to: .scratch, reason: "WORM media can never be erased back to scratch")))
        }
        #expect(try await fixture.catalog.cartridge(id: id)?.status == .full)
    }

    @Test(arguments: QueueStore.allCases) func cleaningCartridgeRegisteredFromBarcode(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let cleaning = try await fixture.catalog.registerCartridge(volumeTag: "CLN001L1")
        #expect(cleaning.status == .cleaning)
        #expect(cleaning.cleaningUsesLeft == 50)
        await #expect(throws: CatalogError.self) {
            try await fixture.catalog.setCartridgeStatus(try #require(cleaning.id), to: .append)
        }
    }
}
