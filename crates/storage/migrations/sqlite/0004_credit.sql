-- Credit supervision (信用监管): the list entries received from the national,
-- provincial and city platforms, the matters catalogue of credit verification,
-- the check log, the access log of persons' credit data, repair requests,
-- annual reports and each entity's explained risk class.

-- One entry of a list (严重失信主体名单, 红名单, 经营异常名录) or a record of an
-- administrative penalty or licence (双公示). The key leads with the subject so
-- a check is one primary-key range read.
CREATE TABLE credit_entries (
    subject TEXT NOT NULL CHECK (length(subject) = 18),
    list_type TEXT NOT NULL CHECK (list_type IN ('blacklist', 'redlist', 'abnormal', 'penalty', 'licence')),
    listed_on DATE NOT NULL,
    -- 处罚决定书文号 / 许可文书编号; for the lists, the 认定部门.
    ref_no TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('enterprise', 'person')),
    subject_name TEXT NOT NULL,
    valid_until DATE,
    removed_on DATE,
    authority TEXT NOT NULL,
    reason TEXT NOT NULL,
    severity TEXT CHECK (severity IN ('轻微', '一般', '严重')),
    decided_on DATE,
    source TEXT NOT NULL,
    -- JSON object: the 双公示 fields of a penalty or licence.
    details TEXT,
    PRIMARY KEY (subject, list_type, listed_on, ref_no)
) WITHOUT ROWID;

-- Rows of a list import being loaded (SQLite): appended in file order, then
-- upserted into credit_entries in key order by one statement, and deleted.
CREATE TABLE credit_stage (
    seq INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,
    subject TEXT, list_type TEXT, listed_on DATE, ref_no TEXT, subject_kind TEXT, subject_name TEXT,
    valid_until DATE, removed_on DATE, authority TEXT, reason TEXT, severity TEXT, decided_on DATE,
    source TEXT, details TEXT
);

-- The matters catalogue (事项) with each matter's rule, documents on the ledger.
CREATE TABLE credit_matters (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    domain TEXT NOT NULL,
    department TEXT NOT NULL,
    doc TEXT NOT NULL
);

-- 谁应用、谁核查: every check, who asked and for which matter.
CREATE TABLE credit_checks (
    id INTEGER PRIMARY KEY,
    checked_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    department TEXT,
    matter TEXT NOT NULL,
    subject TEXT NOT NULL,
    subject_kind TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('block', 'warn', 'reward', 'clear', 'invalid')),
    hits INTEGER NOT NULL,
    as_of DATE NOT NULL,
    batch TEXT
);
CREATE INDEX credit_checks_matter ON credit_checks (matter);
CREATE INDEX credit_checks_subject ON credit_checks (subject);

-- Every access to a person's credit data.
CREATE TABLE credit_access (
    id INTEGER PRIMARY KEY,
    accessed_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    what TEXT NOT NULL,
    purpose TEXT NOT NULL
);
CREATE INDEX credit_access_subject ON credit_access (subject);

-- Credit repair requests (信用修复), documents on the ledger.
CREATE TABLE credit_repairs (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX credit_repairs_subject ON credit_repairs (subject);

-- Credit imports and classification runs, documents on the ledger.
CREATE TABLE credit_runs (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    kind TEXT NOT NULL,
    doc TEXT NOT NULL
);

-- 企业年度报告: the year reported and when it was filed.
CREATE TABLE annual_reports (
    uscc TEXT NOT NULL REFERENCES entities (uscc) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    filed_on DATE NOT NULL,
    PRIMARY KEY (uscc, year)
) WITHOUT ROWID;

-- Each entity's risk class with the indicators behind it.
CREATE TABLE entity_risk (
    uscc TEXT NOT NULL PRIMARY KEY REFERENCES entities (uscc) ON DELETE CASCADE,
    class TEXT NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    score INTEGER NOT NULL,
    classified_on DATE NOT NULL,
    explanation TEXT NOT NULL
) WITHOUT ROWID;
