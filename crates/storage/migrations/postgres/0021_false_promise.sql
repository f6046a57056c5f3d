-- 虚假承诺 (issue 21): a list type like the others.
ALTER TABLE credit_entries DROP CONSTRAINT IF EXISTS credit_entries_list_type_check;
ALTER TABLE credit_entries ADD CONSTRAINT credit_entries_list_type_check
    CHECK (list_type IN ('blacklist', 'redlist', 'abnormal', 'penalty', 'licence', 'false_promise'));
