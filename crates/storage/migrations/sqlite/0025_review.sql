-- Case-file review (issue 20): the reviewers (评查人员), one document each;
-- unit is the department code or 外聘. The ID number stays in the document.
CREATE TABLE reviewers (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    unit TEXT NOT NULL,
    doc TEXT NOT NULL
);
