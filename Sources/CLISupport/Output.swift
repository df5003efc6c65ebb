import Foundation

/// Writing results: human-readable text by default, JSON for scripts.
public enum Output {
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    public static func printJSON<T: Encodable>(_ value: T) throws {
        print(try json(value))
    }

    public static func error(_ text: String) {
        FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
    }

    /// Left-aligned columns.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A one-line progress bar on standard error for long operations (erase, format, cleaning).
public final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var last = -1
    private let isTTY = isatty(STDERR_FILENO) != 0

    public init(_ label: String) { self.label = label }

    public func update(_ fraction: Double) {
        let percent = Int((max(0, min(1, fraction)) * 100).rounded(.down))
        lock.lock(); defer { lock.unlock() }
        guard percent != last else { return }
        last = percent
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text = "\(label) [\(bar)] \(percent)%"
        FileHandle.standardError.write(Data((isTTY ? "\r" + text : text + "\n").utf8))
    }

    public func finish() {
        update(1)
        if isTTY { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
