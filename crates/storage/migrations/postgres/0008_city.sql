-- The city this database serves (a GB/T 2260 prefecture-level code, or a
-- municipality), recorded by `jianguan setup --city` with its districts, on the
-- ledger. At most one row: `one` is always 1 and unique.
CREATE TABLE city (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 6),
    one INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (one = 1),
    name TEXT NOT NULL CHECK (name <> ''),
    doc TEXT NOT NULL
);
