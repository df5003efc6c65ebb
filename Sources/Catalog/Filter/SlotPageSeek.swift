import GRDB

/// Finds where a page sorted by a blocked field starts (SchemaV3: counts per block of 256
/// addresses). `ORDER BY … LIMIT ? OFFSET n` steps over n index entries, ~100 ns each: page 200
/// of a 50,000-slot library costs 2 ms. Summing at most 256 block counts finds the block that
/// holds row n; the page query then seeks to that block and skips fewer than 256 rows.
/// Exact, not an estimate: the counts are kept in the slot writers' transactions.
struct SlotPageSeek {
    struct Start {
        /// `field >= ?` (ascending) or `field < ?` (descending), ANDed to the page's WHERE.
        let condition: String
        let bound: Int
        /// Rows of the filter to skip after the bound.
        let remainingOffset: Int
    }

    let blocksSQL: String
    let sortSQL: String
    let ascending: Bool
    let addressesPerBlock: Int

    /// `cacheWhere` holds the filter's equalities over the cache table, in the filter's argument order.
    init(cache: CountCache, cacheWhere: String, sortSQL: String, ascending: Bool) {
        blocksSQL = "SELECT block, CAST(SUM(\(cache.countColumn)) AS BIGINT) AS slot_count FROM \(cache.table) WHERE \(cacheWhere) "
            + "GROUP BY block ORDER BY block " + (ascending ? "ASC" : "DESC")
        self.sortSQL = sortSQL
        self.ascending = ascending
        addressesPerBlock = cache.addressesPerBlock
    }

    /// The bound of the block holding the `offset`-th matching row; nil past the last row.
    func start(_ db: Database, arguments: StatementArguments, offset: Int) throws -> Start? {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: blocksSQL), arguments: arguments)
        return try start(offset: offset) { try rows.next().map { ($0[0], $0[1]) } }
    }

    /// The same from block counts in `blocksSQL`'s order, read until the block is found.
    func start(offset: Int, nextBlock: () throws -> (block: Int, count: Int)?) rethrows -> Start? {
        var remaining = offset
        while let (block, count) = try nextBlock() {
            if remaining < count {
                return ascending
                    ? Start(condition: "\(sortSQL) >= ?", bound: block * addressesPerBlock, remainingOffset: remaining)
                    : Start(condition: "\(sortSQL) < ?", bound: (block + 1) * addressesPerBlock,
                            remainingOffset: remaining)
            }
            remaining -= count
        }
        return nil
    }
}
