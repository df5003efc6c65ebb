import GRDB

/// The API's list endpoints: filter_data, page, limit, sort and direction over each resource's
/// whitelist (ResourceSchemas). Bad input throws `.filter` before any SQL runs.
extension CatalogDatabase {
    public func list<Record: FetchableRecord & Sendable>(_ query: ListQuery, schema: ResourceSchema,
                                                  as type: Record.Type) async throws(CatalogError) -> Page<Record> {
        let compiled: CompiledListQuery
        do {
            compiled = try CompiledListQuery(query, schema: schema)
        } catch {
            throw .filter(error)
        }
        let page = query.page
        return try await read { db in try compiled.fetchPage(db, schema: schema, as: type, page: page) }
    }
}

/// The list endpoints, the same on both stores (each compiles the query in its dialect).
extension CatalogStore {
    public func listSlots(_ query: ListQuery) async throws(CatalogError) -> Page<LibrarySlot> {
        try await list(query, schema: ResourceSchemas.librarySlots, as: LibrarySlot.self)
    }

    public func listCartridges(_ query: ListQuery) async throws(CatalogError) -> Page<TapeCartridge> {
        try await list(query, schema: ResourceSchemas.tapeCartridges, as: TapeCartridge.self)
    }

    public func listLibraries(_ query: ListQuery) async throws(CatalogError) -> Page<TapeLibrary> {
        try await list(query, schema: ResourceSchemas.tapeLibraries, as: TapeLibrary.self)
    }

    public func listDrives(_ query: ListQuery) async throws(CatalogError) -> Page<LibraryTapeDrive> {
        try await list(query, schema: ResourceSchemas.libraryTapeDrives, as: LibraryTapeDrive.self)
    }

    public func listChangers(_ query: ListQuery) async throws(CatalogError) -> Page<MediumChanger> {
        try await list(query, schema: ResourceSchemas.mediumChangers, as: MediumChanger.self)
    }

    public func listMediaServers(_ query: ListQuery) async throws(CatalogError) -> Page<MediaServer> {
        try await list(query, schema: ResourceSchemas.mediaServers, as: MediaServer.self)
    }

    public func listPools(_ query: ListQuery) async throws(CatalogError) -> Page<Pool> {
        try await list(query, schema: ResourceSchemas.pools, as: Pool.self)
    }

    public func listLibraryTasks(_ query: ListQuery) async throws(CatalogError) -> Page<LibraryTask> {
        try await list(query, schema: ResourceSchemas.libraryTasks, as: LibraryTask.self)
    }

    public func listBackupTasks(_ query: ListQuery) async throws(CatalogError) -> Page<BackupTask> {
        try await list(query, schema: ResourceSchemas.backupTasks, as: BackupTask.self)
    }

    public func listTaskLog(_ query: ListQuery) async throws(CatalogError) -> Page<TaskLogEntry> {
        try await list(query, schema: ResourceSchemas.taskLog, as: TaskLogEntry.self)
    }

    public func listRepository(_ query: ListQuery) async throws(CatalogError) -> Page<BackupRecord> {
        try await list(query, schema: ResourceSchemas.repository, as: BackupRecord.self)
    }

    public func listTapeTypes(_ query: ListQuery) async throws(CatalogError) -> Page<TapeType> {
        try await list(query, schema: ResourceSchemas.tapeTypes, as: TapeType.self)
    }

    public func listStorageLocalCatalogs(_ query: ListQuery) async throws(CatalogError) -> Page<StorageLocalCatalog> {
        try await list(query, schema: ResourceSchemas.storageLocalCatalogs, as: StorageLocalCatalog.self)
    }

    public func listStorageBlockDevices(_ query: ListQuery) async throws(CatalogError) -> Page<StorageBlockDevice> {
        try await list(query, schema: ResourceSchemas.storageBlockDevices, as: StorageBlockDevice.self)
    }

    public func listJobExecutions(_ query: ListQuery) async throws(CatalogError) -> Page<JobExecution> {
        try await list(query, schema: ResourceSchemas.jobExecutions, as: JobExecution.self)
    }

    public func listScheduledJobs(_ query: ListQuery) async throws(CatalogError) -> Page<ScheduledJob> {
        try await list(query, schema: ResourceSchemas.scheduledJobs, as: ScheduledJob.self)
    }

    public func listUnauthorisedMediaServers(_ query: ListQuery) async throws(CatalogError) -> Page<UnauthorisedMediaServer> {
        try await list(query, schema: ResourceSchemas.unauthorisedMediaServers, as: UnauthorisedMediaServer.self)
    }
}
