-- Government services (issue 21): the matter catalogue (事项清单, every
-- version kept in the document) and applications (办件), documents on the
-- ledger. Times are stored as `YYYY-MM-DDTHH:MM:SS+08:00`, so text order is
-- time order; days as ISO text.
CREATE TABLE service_matters (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    department TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX service_matters_department ON service_matters (department, id);
CREATE TABLE service_applications (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    matter TEXT NOT NULL,
    department TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    accepted_at TEXT,
    due TEXT,
    closed_at TEXT,
    review TEXT,
    reviewed_at TEXT,
    rectify_due TEXT,
    rectified_at TEXT,
    doc TEXT NOT NULL
);
-- KPIs: one pass over this index answers a period's figures without reading
-- the documents.
CREATE INDEX service_applications_kpi ON service_applications (received_at, department, channel, accepted_at, due, closed_at, review, reviewed_at, rectify_due, rectified_at);
CREATE INDEX service_applications_matter ON service_applications (matter);
