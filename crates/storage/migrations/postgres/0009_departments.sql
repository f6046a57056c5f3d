-- Departments as a directory: 所属区域, the organ's 统一社会信用代码, 简称 and
-- whether the department is active. Rows that predate this migration keep a
-- NULL district until re-imported or edited.
ALTER TABLE departments ADD COLUMN district TEXT REFERENCES districts (code);
ALTER TABLE departments ADD COLUMN uscc TEXT CHECK (uscc IS NULL OR length(uscc) = 18);
ALTER TABLE departments ADD COLUMN short_name TEXT CHECK (short_name IS NULL OR short_name <> '');
ALTER TABLE departments ADD COLUMN active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1));

-- Changes made to the department directory from the web (create, edit,
-- deactivate, reactivate, delete), one document each, on the audit ledger.
-- No foreign key: the record outlives a deleted department.
CREATE TABLE department_changes (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    department TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX department_changes_department ON department_changes (department);
