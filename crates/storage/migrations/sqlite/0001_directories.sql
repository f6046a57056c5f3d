-- The directories (两库 and item lists) on SQLite. Forward-only: never edit an
-- applied migration; add a new numbered file instead (and register it in
-- src/storage/migrations.rs). Dates are TEXT 'YYYY-MM-DD', which sorts as dates.

CREATE TABLE districts (
    code TEXT NOT NULL PRIMARY KEY CHECK (length(code) = 6),
    name TEXT NOT NULL CHECK (name <> '')
);

CREATE TABLE industry_sections (
    code TEXT NOT NULL PRIMARY KEY CHECK (length(code) = 1),
    name TEXT NOT NULL
);

CREATE TABLE industry_divisions (
    code TEXT NOT NULL PRIMARY KEY CHECK (length(code) = 2),
    section TEXT NOT NULL REFERENCES industry_sections (code),
    name TEXT NOT NULL
);

CREATE TABLE departments (
    code TEXT NOT NULL PRIMARY KEY CHECK (code <> ''),
    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
    level TEXT NOT NULL CHECK (level IN ('市级', '区县级'))
);

CREATE TABLE entities (
    uscc TEXT NOT NULL PRIMARY KEY CHECK (length(uscc) = 18),
    name TEXT NOT NULL CHECK (name <> ''),
    entity_type TEXT NOT NULL CHECK (entity_type IN ('企业', '个体工商户', '农民专业合作社', '其他')),
    district TEXT NOT NULL REFERENCES districts (code),
    -- GB/T 4754-2017 code of 2-4 digits; its division and section are kept for filtering.
    industry TEXT CHECK (length(industry) BETWEEN 2 AND 4),
    industry_division TEXT REFERENCES industry_divisions (code),
    industry_section TEXT,
    registered_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('存续', '注销', '吊销', '迁出')),
    address TEXT,
    legal_representative TEXT,
    credit_class TEXT CHECK (credit_class IN ('A', 'B', 'C', 'D')),
    credit_class_on DATE,
    -- Set for pilot-era codes that fail their check characters: the warning shown on import.
    uscc_warning TEXT,
    CHECK ((credit_class IS NULL) = (credit_class_on IS NULL)),
    CHECK ((industry IS NULL) = (industry_division IS NULL)),
    CHECK ((industry IS NULL) = (industry_section IS NULL))
);
-- No secondary indexes: at city scale (403,000 rows) a filtered scan takes a
-- fraction of a second, and every index would slow bulk upserts.

-- Special pools (kind 'pool') and free tags (kind 'tag') of an entity.
CREATE TABLE entity_labels (
    uscc TEXT NOT NULL REFERENCES entities (uscc) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('pool', 'tag')),
    label TEXT NOT NULL CHECK (label <> ''),
    PRIMARY KEY (uscc, kind, label)
) WITHOUT ROWID;

CREATE TABLE inspectors (
    cert_no TEXT NOT NULL PRIMARY KEY CHECK (cert_no <> ''),
    name TEXT NOT NULL CHECK (name <> ''),
    id_card TEXT CHECK (length(id_card) = 18),
    department TEXT NOT NULL REFERENCES departments (code),
    cert_valid_from DATE NOT NULL,
    cert_valid_until DATE NOT NULL,
    district TEXT REFERENCES districts (code),
    CHECK (cert_valid_from <= cert_valid_until)
);
CREATE INDEX inspectors_department ON inspectors (department);

-- Enforcement fields (执法领域) an inspector is qualified for.
CREATE TABLE inspector_fields (
    cert_no TEXT NOT NULL REFERENCES inspectors (cert_no) ON DELETE CASCADE,
    field TEXT NOT NULL CHECK (field <> ''),
    PRIMARY KEY (cert_no, field)
);
CREATE INDEX inspector_fields_field ON inspector_fields (field);

CREATE TABLE recusals (
    inspector TEXT NOT NULL REFERENCES inspectors (cert_no) ON DELETE CASCADE,
    entity TEXT NOT NULL REFERENCES entities (uscc) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason <> ''),
    PRIMARY KEY (inspector, entity)
);
CREATE INDEX recusals_entity ON recusals (entity);

-- The random-inspection item list. methods: the Chinese names joined by ','.
CREATE TABLE inspection_items (
    code TEXT NOT NULL PRIMARY KEY CHECK (code <> ''),
    category TEXT NOT NULL CHECK (category <> ''),
    name TEXT NOT NULL CHECK (name <> ''),
    legal_basis TEXT NOT NULL CHECK (legal_basis <> ''),
    department TEXT NOT NULL REFERENCES departments (code),
    target_type TEXT NOT NULL CHECK (target_type <> ''),
    methods TEXT NOT NULL CHECK (methods <> ''),
    ratio_bp INTEGER NOT NULL CHECK (ratio_bp BETWEEN 1 AND 10000),
    frequency_times INTEGER NOT NULL CHECK (frequency_times >= 1),
    frequency_period TEXT NOT NULL CHECK (frequency_period IN ('年', '半年', '季度', '月'))
);
CREATE INDEX inspection_items_department ON inspection_items (department);

-- The cross-department joint list; cooperating departments in joint_item_departments.
CREATE TABLE joint_items (
    code TEXT NOT NULL PRIMARY KEY CHECK (code <> ''),
    field TEXT NOT NULL CHECK (field <> ''),
    name TEXT NOT NULL CHECK (name <> ''),
    legal_basis TEXT NOT NULL CHECK (legal_basis <> ''),
    lead TEXT NOT NULL REFERENCES departments (code),
    target_type TEXT NOT NULL CHECK (target_type <> ''),
    methods TEXT NOT NULL CHECK (methods <> ''),
    ratio_bp INTEGER NOT NULL CHECK (ratio_bp BETWEEN 1 AND 10000),
    frequency_times INTEGER NOT NULL CHECK (frequency_times >= 1),
    frequency_period TEXT NOT NULL CHECK (frequency_period IN ('年', '半年', '季度', '月'))
);

CREATE TABLE joint_item_departments (
    item TEXT NOT NULL REFERENCES joint_items (code) ON DELETE CASCADE,
    department TEXT NOT NULL REFERENCES departments (code),
    PRIMARY KEY (item, department)
);
CREATE INDEX joint_item_departments_department ON joint_item_departments (department);
