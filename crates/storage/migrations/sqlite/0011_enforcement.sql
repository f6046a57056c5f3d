-- Enforcement supervision (issue 19): the register of enforcement officers,
-- versioned discretion benchmarks (裁量基准) and penalty cases (行政处罚案件).

-- The inspector directory becomes the register of all enforcement officers.
ALTER TABLE inspectors ADD COLUMN cert_status TEXT NOT NULL DEFAULT '有效' CHECK (cert_status IN ('有效', '暂扣', '注销'));
ALTER TABLE inspectors ADD COLUMN issuer TEXT;
ALTER TABLE inspectors ADD COLUMN exam_passed_on DATE;
ALTER TABLE inspectors ADD COLUMN in_pool TEXT NOT NULL DEFAULT '是' CHECK (in_pool IN ('是', '否'));

-- One document per version of the benchmarks, all its rows inside.
CREATE TABLE discretion_versions (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    in_force TEXT NOT NULL,
    doc TEXT NOT NULL
);

-- One document per case; the derived columns serve the checks and the portal:
-- party_name is the name as published (a person's surname and 某), party_code
-- an organisation's code (never a person's ID number).
CREATE TABLE penalty_cases (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    department TEXT NOT NULL,
    party_name TEXT NOT NULL,
    party_code TEXT,
    behaviour TEXT NOT NULL,
    decided_on TEXT,
    published_on TEXT,
    withdrawn_on TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX penalty_cases_department ON penalty_cases (department, id);
CREATE INDEX penalty_cases_published ON penalty_cases (published_on, decided_on) WHERE published_on IS NOT NULL;
