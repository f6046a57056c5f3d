-- 12345 hotline work orders (工单), documents on the ledger. The derived
-- columns carry what the KPI and overdue queries read; times are stored as
-- `YYYY-MM-DDTHH:MM:SS+08:00`, so text order is time order, dates as ISO text.
CREATE TABLE work_orders (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    received_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    department TEXT,
    status TEXT NOT NULL,
    sign_due TEXT NOT NULL,
    signed_at TEXT,
    close_due TEXT NOT NULL,
    closed_at TEXT,
    close_days TEXT,
    rating TEXT,
    escalation TEXT,
    entity TEXT,
    doc TEXT NOT NULL
);
-- KPIs: one ordered pass over this index answers a period's report grouped by
-- department, channel and category, without reading the documents.
CREATE INDEX work_orders_kpi ON work_orders (department, channel, category, received_at, sign_due, signed_at, close_due, closed_at, rating, close_days);
-- The overdue list: open orders only, every column the list shows.
CREATE INDEX work_orders_open ON work_orders (department, close_due, sign_due, signed_at, received_at, id, category, difficulty, status, escalation) WHERE closed_at IS NULL;
-- Orders closed after an as-of time (reproducible lists of the past).
CREATE INDEX work_orders_closed ON work_orders (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX work_orders_received ON work_orders (received_at);
CREATE INDEX work_orders_entity ON work_orders (entity) WHERE entity IS NOT NULL;
