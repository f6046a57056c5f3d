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
ALTER TABLE round_frames DROP CONSTRAINT IF EXISTS round_frames_plan_fkey;
