-- The audit log's seq without AUTOINCREMENT. AUTOINCREMENT only keeps SQLite from reusing
-- the id of a deleted last row, and no row of the audit log is ever deleted (a trigger
-- refuses it); yet it wrote sqlite_sequence on every insert: one more page per change in
-- the write-ahead log. SQLite cannot drop AUTOINCREMENT in place, so the table is copied,
-- every row with its seq, and its indexes and triggers are made again as they were
-- (0001_initial.sql, 0010_revision.sql).
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_moves_revision;

CREATE TABLE audit_log_next (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    user_id   TEXT,
    org_id    TEXT,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT
);
INSERT INTO audit_log_next (seq, at, user_id, org_id, entity, entity_id, field, old_value, new_value)
SELECT seq, at, user_id, org_id, entity, entity_id, field, old_value, new_value
FROM audit_log ORDER BY seq;
DROP TABLE audit_log;
ALTER TABLE audit_log_next RENAME TO audit_log;
DELETE FROM sqlite_sequence WHERE name = 'audit_log';

CREATE INDEX audit_log_org ON audit_log(org_id, seq);
CREATE INDEX audit_log_user ON audit_log(user_id, seq);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_moves_revision AFTER INSERT ON audit_log
WHEN NEW.org_id IS NOT NULL
BEGIN
    UPDATE organizations SET revision = revision + 1 WHERE id = NEW.org_id;
END;
