-- The comprehensive window (issue 21, item 2): one file per application
-- received at the window, on the ledger. `query_code` finds it from the
-- public status page; `stage`, `department` and `due` feed the queues.
CREATE TABLE service_window (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    stage TEXT NOT NULL,
    department TEXT NOT NULL,
    due TEXT,
    query_code TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);
CREATE INDEX service_window_queue ON service_window (department, stage, due);
