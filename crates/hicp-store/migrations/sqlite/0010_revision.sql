-- Each organization's revision: a counter that moves with every change to anything of the
-- organization, in the transaction of the change. Computed views (scores, plan, report) are
-- cached by (organization, revision), so any server sees a change at once, with no
-- invalidation messages.
--
-- Every change is audited in its own transaction, so the audit log is where the counter
-- moves: one place, nothing to forget. A health system's revision also moves when a site
-- joins or leaves it, since its dashboard rolls its sites up.
ALTER TABLE organizations ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER audit_log_moves_revision AFTER INSERT ON audit_log
WHEN NEW.org_id IS NOT NULL
BEGIN
    UPDATE organizations SET revision = revision + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER org_sites_insert_moves_revision AFTER INSERT ON org_sites
BEGIN
    UPDATE organizations SET revision = revision + 1 WHERE id = NEW.parent_id;
END;

CREATE TRIGGER org_sites_delete_moves_revision AFTER DELETE ON org_sites
BEGIN
    UPDATE organizations SET revision = revision + 1 WHERE id = OLD.parent_id;
END;
