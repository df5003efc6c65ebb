import Foundation
import Testing
@testable import Discovery

/// A directory tree for listing tests:
///
///     root/
///       file.txt          5 bytes, mode 0640, mtime 2001-09-09T01:46:40Z
///       sub/              directory
///       link-to-file   -> file.txt
///       link-to-sub    -> sub
///       dangling       -> missing
///       loop-a         -> loop-b
///       loop-b         -> loop-a
///       self           -> self
///       to-etc         -> /etc          (outside the roots)
///       up             -> ..            (the roots' parent, outside)
///       private/          mode 0700, holding secret.txt (0600)
///       private.txt       mode 0600
///     outside/            next to root, not a root
private struct Tree {
    let base: TemporaryDirectory
    var root: String { base.path + "/root" }
    var outside: String { base.path + "/outside" }

    init() throws {
        base = try TemporaryDirectory("listing")
        let fm = FileManager.default
        try fm.createDirectory(atPath: base.path + "/root/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: base.path + "/outside", withIntermediateDirectories: true)
        let root = base.path + "/root"
        #expect(fm.createFile(atPath: root + "/file.txt", contents: Data("hello".utf8),
                              attributes: [.posixPermissions: 0o640, .modificationDate: Date(timeIntervalSince1970: 1_000_000_000)]))
        for (name, target) in [("link-to-file", "file.txt"), ("link-to-sub", "sub"), ("dangling", "missing"),
                               ("loop-a", "loop-b"), ("loop-b", "loop-a"), ("self", "self"),
                               ("to-etc", "/etc"), ("up", "..")] {
            try fm.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }
        try fm.createDirectory(atPath: root + "/private", withIntermediateDirectories: false,
                               attributes: [.posixPermissions: 0o700])
        #expect(fm.createFile(atPath: root + "/private/secret.txt", contents: Data("s".utf8),
                              attributes: [.posixPermissions: 0o600]))
        #expect(fm.createFile(atPath: root + "/private.txt", contents: Data("p".utf8),
                              attributes: [.posixPermissions: 0o600]))
        #expect(fm.createFile(atPath: base.path + "/outside/x", contents: nil))
    }
}

/// Runs `body` on a thread of its own whose file-system identity is nobody (setfsuid/setfsgid
/// act on the calling thread only: glibc does not broadcast them to all threads, see nptl(7)),
/// so permission checks apply to it even though the tests run as root.
/// glibc's setfsuid/setfsgid (sys/fsuid.h is not in Swift's Glibc module), looked up at run time.
private typealias SetFSID = @convention(c) (UInt32) -> Int32
private func glibcFunction(_ name: String) -> SetFSID? {
    // RTLD_DEFAULT is a null handle in glibc.
    guard let symbol = dlsym(nil, name) else { return nil }
    return unsafeBitCast(symbol, to: SetFSID.self)
}

private func asNobody<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            let nobody: UInt32 = 65534
            let setfsuid = glibcFunction("setfsuid"), setfsgid = glibcFunction("setfsgid")
            _ = setfsgid?(nobody)
            _ = setfsuid?(nobody)
            let value = body()
            _ = setfsuid?(0)
            _ = setfsgid?(0)
            continuation.resume(returning: value)
        }
        thread.start()
    }
}

@Suite("Directory listing")
struct DirectoryListerTests {
    @Test("entries with type, size, mtime and mode")
    func entries() async throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let listing = try await DirectoryLister(roots: [tree.root]).listing(of: tree.root)
        #expect(listing.path == tree.root)
        #expect(listing.entries.map(\.name) == ["dangling", "file.txt", "link-to-file", "link-to-sub", "loop-a",
                                                "loop-b", "private", "private.txt", "self", "sub", "to-etc", "up"])
        let file = try #require(listing.entries.first { $0.name == "file.txt" })
        #expect(file.type == .file)
        #expect(file.size == 5)
        #expect(file.mode == 0o640)
        #expect(file.modified == Date(timeIntervalSince1970: 1_000_000_000))
        #expect(file.path == tree.root + "/file.txt")
        #expect(file.readable && file.problem == nil)

        let sub = try #require(listing.entries.first { $0.name == "sub" })
        #expect(sub.type == .directory && sub.readable)

        let linkToFile = try #require(listing.entries.first { $0.name == "link-to-file" })
        #expect(linkToFile.type == .symlink)
        #expect(linkToFile.symlinkTarget == "file.txt")
        #expect(linkToFile.targetType == .file)
        #expect(linkToFile.problem == nil)
        #expect(listing.entries.first { $0.name == "link-to-sub" }?.targetType == .directory)
    }

    @Test("a directory with more entries than the limit is listed in part and says so")
    func entryLimit() throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let partial = try DirectoryLister(roots: [tree.root], entryLimit: 3).list(tree.root)
        #expect(partial.entries.count == 3 && partial.truncated)
        let whole = try DirectoryLister(roots: [tree.root], entryLimit: 12).list(tree.root)
        #expect(whole.entries.count == 12 && !whole.truncated)
    }

    @Test("a root given through a symlink is canonicalised; listing through either name works")
    func symlinkedRoot() throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let alias = tree.base.path + "/alias"
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: "root")
        let lister = DirectoryLister(roots: [alias])
        #expect(lister.roots == [tree.root])
        #expect(try lister.list(alias + "/sub").path == tree.root + "/sub")
        #expect(try lister.list(tree.root).path == tree.root)
    }

    @Test("dangling links and symlink loops are listed with the problem, not followed forever")
    func brokenLinks() throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let entries = try DirectoryLister(roots: [tree.root]).list(tree.root).entries
        let problems = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.problem) })
        #expect(problems["dangling"] == .danglingSymlink)
        #expect(problems["loop-a"] == .symlinkLoop)
        #expect(problems["loop-b"] == .symlinkLoop)
        #expect(problems["self"] == .symlinkLoop)
        #expect(entries.first { $0.name == "loop-a" }?.symlinkTarget == "loop-b")
    }

    @Test("links that leave the roots are listed but not examined")
    func linksOutOfRoots() throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let entries = try DirectoryLister(roots: [tree.root]).list(tree.root).entries
        for name in ["to-etc", "up"] {
            let entry = try #require(entries.first { $0.name == name })
            #expect(entry.problem == .targetOutsideRoots)
            #expect(entry.targetType == nil)
            #expect(!entry.readable)
        }
    }

    @Test("paths that escape the configured roots are refused", arguments: [
        "/..", "/../outside", "/up", "/up/outside", "/to-etc", "/link-to-sub/../../outside",
    ])
    func escapes(_ suffix: String) throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let lister = DirectoryLister(roots: [tree.root])
        #expect(throws: ListingError(.outsideRoots, path: tree.root + suffix)) { try lister.list(tree.root + suffix) }
    }

    @Test("paths outside any root are refused without saying whether they exist")
    func outsideRoots() throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let lister = DirectoryLister(roots: [tree.root])
        for path in ["/etc", tree.outside, tree.base.path + "/no-such-dir", "/"] {
            #expect(throws: ListingError(.outsideRoots, path: path)) { try lister.list(path) }
        }
    }

    @Test("a followed link inside the roots, errors for missing paths, files, loops and relative paths")
    func otherErrors() throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        let lister = DirectoryLister(roots: [tree.root])
        #expect(try lister.list(tree.root + "/link-to-sub").path == tree.root + "/sub")
        #expect(throws: ListingError(.notFound, path: tree.root + "/missing", errno: ENOENT)) {
            try lister.list(tree.root + "/missing")
        }
        #expect(throws: ListingError(.notADirectory, path: tree.root + "/file.txt", errno: ENOTDIR)) {
            try lister.list(tree.root + "/file.txt")
        }
        #expect(throws: ListingError(.symlinkLoop, path: tree.root + "/loop-a", errno: ELOOP)) {
            try lister.list(tree.root + "/loop-a")
        }
        #expect(throws: ListingError(.invalidPath, path: "relative/path")) { try lister.list("relative/path") }
    }

    @Test("entries a non-root identity cannot read are reported as such; an unreadable directory is an error",
          .enabled(if: isRoot, "switching the file-system identity needs root"))
    func unreadableEntries() async throws {
        let tree = try Tree()
        defer { tree.base.remove() }
        // The tree must be searchable by nobody for the check to be about the entries.
        for path in [tree.base.path, tree.root] { chmod(path, 0o755) }
        let lister = DirectoryLister(roots: [tree.root])
        let root = tree.root
        let (listing, privateError) = await asNobody { () -> (DirectoryListing?, ListingError?) in
            let listing = try? lister.list(root)
            do throws(ListingError) {
                _ = try lister.list(root + "/private")
                return (listing, nil)
            } catch {
                return (listing, error)
            }
        }
        let entries = try #require(listing).entries
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
        #expect(byName["private"]?.readable == false)
        #expect(byName["private"]?.problem == .permissionDenied)
        #expect(byName["private.txt"]?.readable == false)
        #expect(byName["private.txt"]?.problem == .permissionDenied)
        #expect(byName["file.txt"]?.readable == false)   // 0640 root:root: nothing for others
        #expect(byName["sub"]?.readable == true)         // 0755
        #expect(byName["link-to-sub"]?.readable == true)
        #expect(privateError?.code == .permissionDenied)
        // As root, the same entries are readable: the difference is the identity, not the tree.
        let asRoot = try lister.list(root).entries
        #expect(asRoot.first { $0.name == "private" }?.readable == true)
    }
}
