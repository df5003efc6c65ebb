import ArgumentParser
import CLISupport

/// Runs a command body; on failure prints the decoded error (with sense) and exits non-zero.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        Output.error(describe(error))
        throw ExitCode(exitCode(for: error))
    }
}
