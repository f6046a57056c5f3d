-- The 12345 list searches the caller's number (the centre only) and the
-- caller's account (诉求内容): both derived from the document, kept as plain
-- columns so that the search does not parse every document. A document
-- without them (written before they were kept) reads them as empty.
ALTER TABLE work_orders ADD COLUMN caller_phone TEXT;
ALTER TABLE work_orders ADD COLUMN content TEXT;
UPDATE work_orders SET
    caller_phone = COALESCE(doc::jsonb #>> '{caller,phone}', ''),
    content = COALESCE(doc::jsonb ->> 'content', '');
