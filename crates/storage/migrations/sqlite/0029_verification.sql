-- 告知承诺 核查 (issue 21): one document per monthly sampling; its frames,
-- secret and record are those of the round with the same id.
CREATE TABLE service_verifications (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    month TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX service_verifications_month ON service_verifications (month);

-- A 核查 round's frames are per matter, not per plan: round_frames.plan names
-- a plan or a matter, so it loses its reference to plans.
CREATE TABLE round_frames_any_plan (
    round TEXT NOT NULL REFERENCES rounds (id),
    plan TEXT NOT NULL,
    frame TEXT NOT NULL,
    exclusions TEXT NOT NULL,
    PRIMARY KEY (round, plan)
);
INSERT INTO round_frames_any_plan SELECT round, plan, frame, exclusions FROM round_frames;
DROP TABLE round_frames;
ALTER TABLE round_frames_any_plan RENAME TO round_frames;
