-- Accounts of the web application and their API tokens, as documents on the
-- audit ledger like the workflow records. Passwords are Argon2id PHC strings
-- inside the document; a token is stored only as its SHA-256.

CREATE TABLE accounts (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    role TEXT NOT NULL,
    department TEXT REFERENCES departments (code),
    doc TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 64),
    username TEXT NOT NULL REFERENCES accounts (id),
    doc TEXT NOT NULL
);
CREATE INDEX api_tokens_username ON api_tokens (username);

-- Rectification notices of the Justice Bureau (整改通知), answered by departments.
CREATE TABLE rectifications (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    department TEXT NOT NULL REFERENCES departments (code),
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX rectifications_department ON rectifications (department);
