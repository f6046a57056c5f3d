-- Case-file review scoring (issue 20): the versions of the review standard
-- (评查标准, key the zero-padded version) and one score sheet per reviewer
-- and file (key "REVIEW/CASE/REVIEWER"), each a document.
CREATE TABLE review_standards (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    sha256 TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE review_scores (
    id TEXT NOT NULL PRIMARY KEY,
    review TEXT NOT NULL REFERENCES reviews (id),
    case_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX review_scores_review ON review_scores (review, case_id);
