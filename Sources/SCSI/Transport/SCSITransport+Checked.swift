extension SCSITransport {
    /// Executes `command` and turns every failure into `SCSIError`: transport failures
    /// become `.transport`, non-GOOD status `.checkCondition` / `.status`.
    public func run(_ command: SCSICommand) async throws(SCSIError) -> SCSIResult {
        let result: SCSIResult
        do {
            result = try await execute(command)
        } catch {
            throw .transport(error)
        }
        return try result.checked(opcode: command.operationCode)
    }
}

extension SCSIError {
    /// Runs a parser, mapping its `SCSIParseError` to `.parse`.
    public static func parsing<T>(_ body: () throws(SCSIParseError) -> T) throws(SCSIError) -> T {
        do {
            return try body()
        } catch {
            throw .parse(error)
        }
    }
}
