-- Schema version 2 → 3: title search reads the folded title from the owner index itself, so a
-- search that scans an owner's whole library looks up only the matching rows in the table.
DROP INDEX images_by_owner;
CREATE INDEX images_by_owner ON images (owner, id, title_fold) WHERE listed = 1;
