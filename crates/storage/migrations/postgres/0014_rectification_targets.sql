-- A rectification notice is against any supervised object: a typed reference
-- (kind, id), e.g. ('hotline_order', 'GD-20260302-0001'), the parts of the
-- document's subject `KIND:ID` around its first ':'. Indexed to list the
-- notices against one object.
ALTER TABLE rectifications ADD COLUMN subject_kind TEXT;
ALTER TABLE rectifications ADD COLUMN subject_id TEXT;
UPDATE rectifications SET
    subject_kind = CASE WHEN strpos(doc::jsonb ->> 'subject', ':') > 0
        THEN split_part(doc::jsonb ->> 'subject', ':', 1) END,
    subject_id = CASE WHEN strpos(doc::jsonb ->> 'subject', ':') > 0
        THEN substr(doc::jsonb ->> 'subject', strpos(doc::jsonb ->> 'subject', ':') + 1) END;
CREATE INDEX rectifications_subject ON rectifications (subject_kind, subject_id);
