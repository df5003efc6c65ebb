/// One `field op "value"` comparison, before it is checked against a resource's fields.
public struct FilterCondition: Sendable, Equatable {
    public let field: String
    public let comparison: FilterOperator
    public let value: String
}

/// Recursive-descent parser for filter_data:
///
///     filter     := [ condition { combinator condition } ] END
///     combinator := "," | "and"            (case-insensitive; all conditions must hold)
///     condition  := IDENTIFIER ("=" | "~" | "<" | ">") STRING
///
/// The seed (001, "фильтр") shows single expressions; several are combined with a comma
/// (or the word `and`), and every condition must hold.
public enum FilterParser {
    public static let maximumConditions = 32

    public static func parse(_ text: String) throws(FilterError) -> [FilterCondition] {
        var parser = State(tokens: try FilterLexer.tokenize(text))
        return try parser.parseFilter()
    }

    private struct State {
        let tokens: [FilterToken]
        var position = 0

        var current: FilterToken { tokens[min(position, tokens.count - 1)] }

        mutating func advance() { position += 1 }

        mutating func parseFilter() throws(FilterError) -> [FilterCondition] {
            if current.kind == .end { return [] }
            var conditions = [try parseCondition()]
            while current.kind != .end {
                try parseCombinator()
                conditions.append(try parseCondition())
                if conditions.count > maximumConditions {
                    throw .tooComplex("more than \(maximumConditions) conditions in filter_data")
                }
            }
            return conditions
        }

        mutating func parseCombinator() throws(FilterError) {
            switch current.kind {
            case .comma:
                advance()
            case .identifier(let word) where word.lowercased() == "and":
                advance()
            default:
                throw .syntax(offset: current.offset, message: "expected ',' or 'and' between conditions")
            }
        }

        mutating func parseCondition() throws(FilterError) -> FilterCondition {
            guard case .identifier(let field) = current.kind else {
                throw .syntax(offset: current.offset, message: "expected a field name")
            }
            advance()
            guard case .comparison(let comparison) = current.kind else {
                throw .syntax(offset: current.offset, message: "expected one of = ~ < > after '\(field)'")
            }
            advance()
            guard case .string(let value) = current.kind else {
                throw .syntax(offset: current.offset, message: "expected a double-quoted value")
            }
            advance()
            return FilterCondition(field: field, comparison: comparison, value: value)
        }
    }
}
