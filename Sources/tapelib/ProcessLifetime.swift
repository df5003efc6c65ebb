#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings of the short-lived `tapelib` process (issue 4: a whole
/// `changer status` run is timed against mtx, so start-up and exit count).
enum ProcessLifetime {
    /// Ends the process from the thread that finished the command. Returning from an async
    /// `main` instead hands the exit to the main queue, which dispatch serves on a thread it
    /// starts for that (the main thread has left in `dispatch_main`). `exit` flushes stdio
    /// and runs the same handlers.
    static func exitSuccessfully() -> Never {
        exit(0)
    }
}
