-- The e-licence library (电子证照库): licence types, licences and the city's
-- public signing key. The private key never enters the database.
CREATE TABLE licence_types (
    code TEXT NOT NULL PRIMARY KEY CHECK (code <> ''),
    name TEXT NOT NULL CHECK (name <> ''),
    issuer TEXT NOT NULL CHECK (issuer <> ''),
    years TEXT,
    fields TEXT NOT NULL
);

-- One row per licence; `fields` is the face fields' JSON object and
-- `signature` the Ed25519 signature (hex) over the licence object's RFC 8785
-- canonical JSON (docs/licences.md), rebuilt from these columns.
CREATE TABLE licences (
    no TEXT NOT NULL PRIMARY KEY CHECK (no <> ''),
    type_code TEXT NOT NULL REFERENCES licence_types (code),
    type_name TEXT NOT NULL,
    holder TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    issued_on DATE NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE,
    status TEXT NOT NULL CHECK (status IN ('有效', '注销', '过期')),
    fields TEXT NOT NULL,
    signature TEXT NOT NULL,
    revoked_on DATE,
    revoked_reason TEXT
);
CREATE INDEX licences_holder ON licences (holder);

-- The city's licence-signing public key (hex), one row.
CREATE TABLE licence_key (
    one INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
    public_key TEXT NOT NULL CHECK (length(public_key) = 64),
    created_at TEXT NOT NULL
);

-- What happened to the library, one document each, on the audit ledger:
-- imports of types and licences (counts, file), issues and revocations.
CREATE TABLE licence_events (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    kind TEXT NOT NULL,
    doc TEXT NOT NULL
);
