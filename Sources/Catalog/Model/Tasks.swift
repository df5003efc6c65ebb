import Foundation
import GRDB

/// A decoded SCSI failure stored with a failed task (sense key, ASC/ASCQ and their meaning).
public struct TaskFailure: Sendable, Equatable {
    public var message: String
    /// The service's stable error code (LibraryService.ServiceErrorCode's raw value).
    public var code: String?
    public var senseKey: Int?
    public var asc: Int?
    public var ascq: Int?
    public var senseDescription: String?

    public init(message: String, code: String? = nil, senseKey: Int? = nil, asc: Int? = nil, ascq: Int? = nil,
                senseDescription: String? = nil) {
        self.message = message; self.code = code; self.senseKey = senseKey; self.asc = asc; self.ascq = ascq
        self.senseDescription = senseDescription
    }
}

/// A backup-core task (seed: task_queue).
public struct BackupTask: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "task_queue"

    public var id: Int64?
    public var type: BackupTaskType
    public var status: TaskStatus
    public var priority: Int
    public var progressPercent: Double
    public var phase: String
    public var parentTaskId: Int64?
    public var client: String?
    public var resource: String?
    public var resourceType: String?
    public var backupType: BackupType?
    public var poolId: Int64?
    public var targetPoolId: Int64?
    public var repositoryId: Int64?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var errorMessage: String?
    public var senseKey: Int?
    public var asc: Int?
    public var ascq: Int?
    public var senseDescription: String?
    /// The file a restore writes (schema v10).
    public var targetPath: String?
    /// `kill` or `pause` asked of a running copy, verification or restore (schema v10).
    public var controlRequest: TaskControlRequest?

    public init(id: Int64? = nil, type: BackupTaskType, status: TaskStatus = .new, priority: Int = 100,
                parentTaskId: Int64? = nil, client: String? = nil, resource: String? = nil,
                resourceType: String? = nil, backupType: BackupType? = nil, poolId: Int64? = nil,
                targetPoolId: Int64? = nil, repositoryId: Int64? = nil, createdAt: Date = Date(), targetPath: String? = nil) {
        self.id = id; self.type = type; self.status = status; self.priority = priority
        self.progressPercent = 0; self.phase = ""; self.parentTaskId = parentTaskId; self.client = client
        self.resource = resource; self.resourceType = resourceType; self.backupType = backupType
        self.poolId = poolId; self.targetPoolId = targetPoolId; self.repositoryId = repositoryId
        self.createdAt = createdAt; self.targetPath = targetPath
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A tape-library operation (seed: tl_task_queue).
public struct LibraryTask: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "tl_task_queue"

    public var id: Int64?
    public var type: LibraryTaskType
    public var status: TaskStatus
    public var priority: Int
    public var progressPercent: Double
    public var phase: String
    public var parentTaskId: Int64?
    public var backupTaskId: Int64?
    public var libraryId: Int64?
    public var driveId: Int64?
    public var cartridgeId: Int64?
    public var sourceElement: Int?
    public var targetElement: Int?
    public var poolId: Int64?
    public var longErase: Bool
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var errorMessage: String?
    /// The stable code of the failure (schema v6; LibraryService.ServiceErrorCode).
    public var errorCode: String?
    public var senseKey: Int?
    public var asc: Int?
    public var ascq: Int?
    public var senseDescription: String?
    /// Format tasks (schema v4): plain FORMAT MEDIUM or an LTFS volume.
    public var formatKind: FormatKind?
    /// LTFS volume name of a format task (schema v4).
    public var volumeName: String?
    /// Format a cartridge that already holds data (schema v4).
    public var force: Bool
    /// 1 for the first run; a restart queues the task again as the next attempt (schema v5).
    public var attempt: Int
    /// `kill` when an operator asked the running task to stop at its next safe point (schema v5).
    public var controlRequest: TaskControlRequest?
    /// A sync that sends INITIALIZE ELEMENT STATUS first (schema v5).
    public var initializeElements: Bool

    public init(id: Int64? = nil, type: LibraryTaskType, status: TaskStatus = .new, priority: Int = 100,
                parentTaskId: Int64? = nil, backupTaskId: Int64? = nil, libraryId: Int64? = nil,
                driveId: Int64? = nil, cartridgeId: Int64? = nil, sourceElement: Int? = nil,
                targetElement: Int? = nil, poolId: Int64? = nil, longErase: Bool = false,
                formatKind: FormatKind? = nil, volumeName: String? = nil, force: Bool = false,
                createdAt: Date = Date()) {
        self.id = id; self.type = type; self.status = status; self.priority = priority
        self.progressPercent = 0; self.phase = ""; self.parentTaskId = parentTaskId
        self.backupTaskId = backupTaskId; self.libraryId = libraryId; self.driveId = driveId
        self.cartridgeId = cartridgeId; self.sourceElement = sourceElement; self.targetElement = targetElement
        self.poolId = poolId; self.longErase = longErase; self.formatKind = formatKind
        self.volumeName = volumeName; self.force = force; self.createdAt = createdAt
        self.attempt = 1; self.controlRequest = nil; self.initializeElements = false
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// What an operator asked of a running task (tl_task_queue.control_request).
public enum TaskControlRequest: String, Codable, Sendable, DatabaseValueConvertible {
    case kill
    /// Backup tasks only: a running copy holds its drive between two blocks until continued.
    case pause
}

/// One line of a task's log (seed: task_log). Exactly one of the two task ids is set.
public struct TaskLogEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "task_log"

    public var id: Int64?
    public var taskId: Int64?
    public var tlTaskId: Int64?
    public var loggedAt: Date
    public var level: String
    public var message: String

    public init(id: Int64? = nil, taskId: Int64? = nil, tlTaskId: Int64? = nil, loggedAt: Date = Date(),
                level: String = "info", message: String) {
        self.id = id; self.taskId = taskId; self.tlTaskId = tlTaskId; self.loggedAt = loggedAt
        self.level = level; self.message = message
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A periodic job: library sync, drive cleaning or copies to tape (seed 000/002 plan shape,
/// seed 003 retry fields).
public struct ScheduledJob: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "scheduled_jobs"

    public var id: Int64?
    public var name: String
    public var kind: ScheduledJobKind
    public var libraryId: Int64?
    public var poolId: Int64?
    public var isPeriodic: Bool
    public var intervalHours: Int
    public var crontab: String?
    public var isActive: Bool
    public var priority: Int
    public var maxRetries: Int
    public var retryWaitSeconds: Int
    public var comment: String
    public var author: String
    public var createdAt: Date
    public var updatedAt: Date
    public var lastRunAt: Date?
    public var nextRunAt: Date?

    /// A copy_to_tape job copies the records of this pool (every non-tape pool when nil) into
    /// `poolId`, the tape pool (schema v10).
    public var sourcePoolId: Int64?

    public init(id: Int64? = nil, name: String, kind: ScheduledJobKind, libraryId: Int64? = nil,
                poolId: Int64? = nil, isPeriodic: Bool = true, intervalHours: Int = 24, crontab: String? = nil,
                isActive: Bool = true, priority: Int = 100, maxRetries: Int = 0, retryWaitSeconds: Int = 300,
                comment: String = "", author: String = "", createdAt: Date = Date(), updatedAt: Date = Date(),
                lastRunAt: Date? = nil, nextRunAt: Date? = nil, sourcePoolId: Int64? = nil) {
        self.id = id; self.name = name; self.kind = kind; self.libraryId = libraryId; self.poolId = poolId
        self.sourcePoolId = sourcePoolId
        self.isPeriodic = isPeriodic; self.intervalHours = intervalHours; self.crontab = crontab
        self.isActive = isActive; self.priority = priority; self.maxRetries = maxRetries
        self.retryWaitSeconds = retryWaitSeconds; self.comment = comment; self.author = author
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.lastRunAt = lastRunAt
        self.nextRunAt = nextRunAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One run of a scheduled job and the task it started.
public struct JobExecution: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "job_executions"

    public var id: Int64?
    public var jobId: Int64
    public var status: ExecutionStatus
    public var startedAt: Date
    public var finishedAt: Date?
    public var tlTaskId: Int64?
    public var taskId: Int64?
    public var message: String

    public init(id: Int64? = nil, jobId: Int64, status: ExecutionStatus = .running, startedAt: Date = Date(),
                finishedAt: Date? = nil, tlTaskId: Int64? = nil, taskId: Int64? = nil, message: String = "") {
        self.id = id; self.jobId = jobId; self.status = status; self.startedAt = startedAt
        self.finishedAt = finishedAt; self.tlTaskId = tlTaskId; self.taskId = taskId; self.message = message
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
