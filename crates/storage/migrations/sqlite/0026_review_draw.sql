-- Case-file review (issue 20): reviews (评查活动) drawn by jianguan-draw/v1,
-- stored as rounds are: the document, the frozen frames (one per plan
-- `ID/DEPT`, lines "case<TAB>全部"), the sealed secret and the §7 record.
CREATE TABLE reviews (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE review_frames (
    review TEXT NOT NULL REFERENCES reviews (id),
    plan TEXT NOT NULL,
    frame TEXT NOT NULL,
    exclusions TEXT NOT NULL,
    PRIMARY KEY (review, plan)
);

CREATE TABLE review_secrets (
    review TEXT NOT NULL PRIMARY KEY REFERENCES reviews (id),
    secret TEXT NOT NULL CHECK (length(secret) = 64)
);

CREATE TABLE review_records (
    review TEXT NOT NULL PRIMARY KEY REFERENCES reviews (id),
    record TEXT NOT NULL
);

-- One drawn file (key "REVIEW/CASE"): its department, its reviewers in slot
-- order and the other eligible reviewers in the §6 order (the document).
CREATE TABLE review_files (
    id TEXT NOT NULL PRIMARY KEY,
    review TEXT NOT NULL REFERENCES reviews (id),
    case_id TEXT NOT NULL,
    department TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX review_files_review ON review_files (review, case_id);
