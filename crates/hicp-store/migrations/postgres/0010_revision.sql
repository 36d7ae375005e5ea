-- Each organization's revision: a counter that moves with every change to anything of the
-- organization, in the transaction of the change. Computed views (scores, plan, report) are
-- cached by (organization, revision), so any server sees a change at once, with no
-- invalidation messages.
--
-- Every change is audited in its own transaction, so the audit log is where the counter
-- moves: one place, nothing to forget. A health system's revision also moves when a site
-- joins or leaves it, since its dashboard rolls its sites up. The UPDATE takes the
-- organization's row lock, so the revisions of one organization follow commit order.
ALTER TABLE organizations ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION hicp_move_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'audit_log' THEN
        UPDATE organizations SET revision = revision + 1 WHERE id = NEW.org_id;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE organizations SET revision = revision + 1 WHERE id = NEW.parent_id;
    ELSE
        UPDATE organizations SET revision = revision + 1 WHERE id = OLD.parent_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_log_moves_revision AFTER INSERT ON audit_log
FOR EACH ROW WHEN (NEW.org_id IS NOT NULL) EXECUTE FUNCTION hicp_move_revision();

CREATE TRIGGER org_sites_moves_revision AFTER INSERT OR DELETE ON org_sites
FOR EACH ROW EXECUTE FUNCTION hicp_move_revision();
