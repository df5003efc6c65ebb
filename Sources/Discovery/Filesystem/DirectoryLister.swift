import Foundation

/// Lists directories, confined to configured roots.
///
/// Confinement is checked on what was actually opened: the directory is opened first and the
/// kernel's name for the open descriptor (/proc/self/fd/N) must lie inside a root, so neither
/// "..", nor symlinks, nor a rename between check and open can escape. Symlinks inside a
/// listing are never followed out of the roots, and loops end in ELOOP from the kernel.
public struct DirectoryLister: Sendable {
    /// Canonical root paths.
    public let roots: [String]
    /// At most this many entries are returned from one directory.
    public let entryLimit: Int

    /// Roots that do not exist are left out (they cannot contain anything).
    public init(roots: [String], entryLimit: Int = 10_000) {
        self.roots = roots.compactMap(Self.canonicalPath)
        self.entryLimit = entryLimit
    }

    /// Lists `path` on a blocking-I/O queue.
    public func listing(of path: String) async throws(ListingError) -> DirectoryListing {
        let lister = self
        return try await BlockingIO.run { () throws(ListingError) -> DirectoryListing in try lister.list(path) }
    }

    /// Lists `path` on the calling thread (blocking).
    public func list(_ path: String) throws(ListingError) -> DirectoryListing {
        guard path.hasPrefix("/") else { throw ListingError(.invalidPath, path: path) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let error = errno
            // Say nothing about paths outside the roots, not even whether they exist.
            guard contains(Self.lexicallyNormalized(path)) else { throw ListingError(.outsideRoots, path: path) }
            throw ListingError(Self.code(forOpenErrno: error), path: path, errno: error)
        }
        guard let opened = Self.pathOfDescriptor(fd), contains(opened) else {
            close(fd)
            throw ListingError(.outsideRoots, path: path)
        }
        guard let directory = fdopendir(fd) else {
            let error = errno
            close(fd)
            throw ListingError(.io, path: path, errno: error)
        }
        defer { closedir(directory) }

        var entries: [DirectoryEntry] = []
        var truncated = false
        while true {
            errno = 0
            guard let raw = readdir(directory) else {
                if errno != 0 { throw ListingError(.io, path: opened, errno: errno) }
                break
            }
            let name = withUnsafePointer(to: &raw.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            if entries.count >= entryLimit {
                truncated = true
                break
            }
            entries.append(entry(named: name, in: fd, directoryPath: opened))
        }
        entries.sort { $0.name < $1.name }
        return DirectoryListing(path: opened, entries: entries, truncated: truncated)
    }

    /// Whether a canonical path is one of the roots or below one.
    public func contains(_ canonicalPath: String) -> Bool {
        roots.contains { root in
            canonicalPath == root || canonicalPath.hasPrefix(root == "/" ? "/" : root + "/")
        }
    }

    private func entry(named name: String, in directoryFD: Int32, directoryPath: String) -> DirectoryEntry {
        let path = directoryPath == "/" ? "/" + name : directoryPath + "/" + name
        var info = stat()
        guard fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            let problem: EntryProblem = errno == EACCES ? .permissionDenied : .unavailable
            return DirectoryEntry(name: name, path: path, type: .unknown, readable: false, problem: problem)
        }
        let type = FileEntryType(mode: info.st_mode)
        var entry = DirectoryEntry(
            name: name, path: path, type: type, size: Int64(info.st_size),
            modified: Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9),
            mode: UInt32(info.st_mode & 0o7777), readable: false)

        var effectiveType = type
        if type == .symlink {
            entry.symlinkTarget = Self.linkTarget(name, in: directoryFD)
            var target = stat()
            if fstatat(directoryFD, name, &target, 0) != 0 {
                switch errno {
                case ELOOP: entry.problem = .symlinkLoop
                case ENOENT, ENOTDIR: entry.problem = .danglingSymlink
                case EACCES: entry.problem = .permissionDenied
                default: entry.problem = .unavailable
                }
                return entry
            }
            guard let resolved = Self.canonicalPath(path), contains(resolved) else {
                entry.problem = .targetOutsideRoots
                return entry
            }
            effectiveType = FileEntryType(mode: target.st_mode)
            entry.targetType = effectiveType
        }
        // AT_EACCESS: check with the effective (file-system) identity, as open() would.
        let wanted = effectiveType == .directory ? R_OK | X_OK : R_OK
        entry.readable = faccessat(directoryFD, name, wanted, AT_EACCESS) == 0
        if !entry.readable, entry.problem == nil { entry.problem = .permissionDenied }
        return entry
    }

    private static func code(forOpenErrno error: Int32) -> ListingError.Code {
        switch error {
        case ENOENT: return .notFound
        case ENOTDIR: return .notADirectory
        case EACCES, EPERM: return .permissionDenied
        case ELOOP: return .symlinkLoop
        default: return .io
        }
    }

    static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The path the kernel records for an open descriptor.
    static func pathOfDescriptor(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A directory removed after opening is reported with a " (deleted)" suffix.
        return path.hasPrefix("/") && !path.hasSuffix(" (deleted)") ? path : nil
    }

    static func linkTarget(_ name: String, in directoryFD: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(directoryFD, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "/a/./b/../c" → "/a/c", without touching the file system.
    static func lexicallyNormalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
