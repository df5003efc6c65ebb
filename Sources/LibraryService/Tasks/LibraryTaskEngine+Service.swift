import ServiceLifecycle

/// The task engine as a service of the tapelib service's `ServiceGroup`. On graceful shutdown
/// (SIGTERM) it starts nothing new and returns once the tasks in flight have finished, so a
/// move the robot has begun is completed and recorded.
extension LibraryTaskEngine: Service {
    public nonisolated func run() async throws {
        await withGracefulShutdownHandler {
            await self.serve()
        } onGracefulShutdown: {
            self.requestShutdown()
            Task { await self.stopDispatching() }
        }
    }
}
