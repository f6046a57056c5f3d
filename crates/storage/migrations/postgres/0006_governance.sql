-- Ledger anchors (台账锚点): the ledger head as it stood when recorded (one a
-- day by `serve`, or by `jianguan audit anchor`), published at /gongshi/ledger
-- so that witnesses keep copies outside the database. `audit verify --anchors`
-- checks that the chain still extends each saved head. This table is only the
-- publishing copy: a rewrite of the ledger could rewrite it too, the witnesses'
-- copies cannot be.
CREATE TABLE ledger_anchors (
    at TEXT NOT NULL PRIMARY KEY,
    day TEXT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL
);
CREATE INDEX ledger_anchors_day ON ledger_anchors (day);
