-- The 双随机、一公开 workflow on SQLite: plans, rounds, visits, results,
-- out-of-plan inspections and the hash-chained audit ledger.
--
-- Each workflow record is a canonical JSON document (`doc`) plus the columns
-- lists filter on, which are derived from the document and checked against it
-- by `jianguan audit verify`; the ledger holds the SHA-256 of every document
-- state it recorded.

CREATE TABLE plans (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    year TEXT NOT NULL,
    lead TEXT NOT NULL REFERENCES departments (code),
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE rounds (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);

-- Frozen at commit: each plan's frame (lines "id<TAB>stratum", ascending by id)
-- and its exclusions (lines "id<TAB>rule<TAB>detail").
CREATE TABLE round_frames (
    round TEXT NOT NULL REFERENCES rounds (id),
    plan TEXT NOT NULL REFERENCES plans (id),
    frame TEXT NOT NULL,
    exclusions TEXT NOT NULL,
    PRIMARY KEY (round, plan)
);

-- The sealed secret, read only to draw and released by publication.
CREATE TABLE round_secrets (
    round TEXT NOT NULL PRIMARY KEY REFERENCES rounds (id),
    secret TEXT NOT NULL CHECK (length(secret) = 64)
);

-- The spec §7 record with empty frames (they are in round_frames).
CREATE TABLE round_records (
    round TEXT NOT NULL PRIMARY KEY REFERENCES rounds (id),
    record TEXT NOT NULL
);

CREATE TABLE visits (
    id TEXT NOT NULL PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds (id),
    entity TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX visits_round ON visits (round);
CREATE INDEX visits_entity ON visits (entity);

CREATE TABLE results (
    id TEXT NOT NULL PRIMARY KEY,
    visit TEXT REFERENCES visits (id),
    entity TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments (code),
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX results_visit ON results (visit);
CREATE INDEX results_entity ON results (entity);

CREATE TABLE out_of_plan (
    id TEXT NOT NULL PRIMARY KEY,
    entity TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments (code),
    reason TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX out_of_plan_entity ON out_of_plan (entity);

-- Settings such as the eligibility rules, as JSON.
CREATE TABLE settings (
    key TEXT NOT NULL PRIMARY KEY,
    doc TEXT NOT NULL
);

-- The audit ledger: entry n holds the hash of entry n-1 (seq 0 is the genesis
-- hash of zeros). ledger_head serialises appends.
CREATE TABLE ledger (
    seq INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 1),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_table TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    state_digest TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ledger_subject ON ledger (subject_table, subject_key);

CREATE TABLE ledger_head (
    one INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO ledger_head (one, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
