import ArgumentParser
import CLISupport
import LibraryService

/// Runs a command body; on failure prints the coded error's text (with the decoded sense, the
/// same text the API and the task log give) and exits with the code's exit status.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        let coded = ServiceError(error)
        Output.error(coded.report)
        throw ExitCode(coded.code.exitCode)
    }
}
