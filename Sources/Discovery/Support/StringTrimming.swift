extension String {
    /// The string without leading/trailing spaces, tabs, newlines and NULs (sysfs values end in
    /// a newline; SCSI ASCII fields are space padded).
    func trimmingWhitespace() -> String {
        let isPadding: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\0" }
        guard let first = firstIndex(where: { !isPadding($0) }), let last = lastIndex(where: { !isPadding($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
