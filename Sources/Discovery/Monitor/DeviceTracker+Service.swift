import ServiceLifecycle

/// The hotplug monitor runs as a service of the tapelib service's `ServiceGroup`: it starts
/// with the group and, on graceful shutdown (SIGTERM), stops rescanning and returns.
extension DeviceTracker: Service {
    public nonisolated func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.monitor()
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            // The loop was cancelled because the group is shutting down: a normal end.
        }
    }
}
