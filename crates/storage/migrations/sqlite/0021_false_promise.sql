-- 虚假承诺 (issue 21): a list type like the others. SQLite cannot alter a
-- CHECK constraint, so the table is rebuilt with the wider one.
CREATE TABLE credit_entries_widened (
    subject TEXT NOT NULL CHECK (length(subject) = 18),
    list_type TEXT NOT NULL CHECK (list_type IN ('blacklist', 'redlist', 'abnormal', 'penalty', 'licence', 'false_promise')),
    listed_on DATE NOT NULL,
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
    details TEXT,
    PRIMARY KEY (subject, list_type, listed_on, ref_no)
) WITHOUT ROWID;
INSERT INTO credit_entries_widened SELECT subject, list_type, listed_on, ref_no, subject_kind, subject_name, valid_until, removed_on, authority, reason, severity, decided_on, source, details FROM credit_entries;
DROP TABLE credit_entries;
ALTER TABLE credit_entries_widened RENAME TO credit_entries;
