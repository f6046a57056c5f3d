-- Holiday notices (放假安排) loaded by the administrator: one row per calendar
-- year, the override TOML in the document, on the ledger. Applied over the
-- embedded calendar at start and when loaded.
CREATE TABLE calendar_notices (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    sha256 TEXT NOT NULL,
    doc TEXT NOT NULL
);
