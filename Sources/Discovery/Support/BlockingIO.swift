import Dispatch

/// Runs blocking work (sysfs reads, libudev scans, directory listings) off Swift's cooperative
/// pool, on a dispatch queue of its own.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "tapelib.discovery.blocking-io", attributes: .concurrent)

    static func run<Value: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(Failure) -> Value in try body() })
            }
        }
        return try result.get()
    }
}
