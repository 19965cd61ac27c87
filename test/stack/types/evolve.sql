-- Mid-stream schema change at the source (test/stack/types/run.sh, after the first comparison): a
-- column added in the middle of the table, then changes that use it and changes that do not.
-- The targets are not altered: automatic schema evolution is not part of cdc_sync yet.
USE types;
ALTER TABLE all_types ADD COLUMN added_c VARCHAR(20) DEFAULT 'dflt' AFTER int_c;
INSERT INTO all_types (id, tiny_c, added_c, varchar_c, dec_c, date_c)
VALUES (20, 20, 'new', 'after the ALTER', 20.20, '2020-02-20');
INSERT INTO all_types (id, int_c) VALUES (21, 21);  -- added_c takes its default
UPDATE all_types SET added_c = 'changed', dec_c = 3.33 WHERE id = 3;
UPDATE all_types SET varchar_c = 'touched after the ALTER' WHERE id = 4;
DELETE FROM all_types WHERE id = 12;
INSERT INTO aux VALUES (6, 'six', 6.66, 6, '06:06:06');
