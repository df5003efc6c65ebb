import Foundation

/// Small whole-file and prefix reads through POSIX calls, with errno kept.
enum FileBytes {
    /// Up to `limit` bytes of a file (procfs/sysfs files report size 0, so read until EOF).
    static func read(_ path: String, limit: Int) throws(DiscoveryError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw DiscoveryError(.io, "open \(path) failed", errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let wanted = min(chunk.count, limit - result.count)
            let count = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DiscoveryError(.io, "read \(path) failed", errno: errno)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }
}
