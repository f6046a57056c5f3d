-- 行政复议 and 行政诉讼出庭应诉 (issue 20): one document per application and
-- per hearing. respondent/defendant is the department code; the applicant's
-- name stays in the document.
CREATE TABLE reconsiderations (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    respondent TEXT NOT NULL,
    received_on TEXT NOT NULL,
    decision TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX reconsiderations_respondent ON reconsiderations (respondent, received_on);
CREATE TABLE litigations (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    defendant TEXT NOT NULL,
    hearing_on TEXT NOT NULL,
    doc TEXT NOT NULL
);
