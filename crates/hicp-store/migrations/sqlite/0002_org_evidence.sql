-- Evidence belongs to the organization, not to one assessment: closing an assessment as a
-- snapshot must not take it away from the next one. `assessment_id` stays as the
-- assessment during which it was added; `snapshot_evidence` records what was in place when
-- an assessment was closed. Organizations get their threat weights.

ALTER TABLE evidence ADD COLUMN org_id TEXT REFERENCES organizations(id) ON DELETE CASCADE;
UPDATE evidence SET org_id = (SELECT a.org_id FROM assessments a WHERE a.id = evidence.assessment_id);
CREATE INDEX evidence_org ON evidence(org_id, criterion_id);

CREATE TABLE snapshot_evidence (
    assessment_id TEXT NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    evidence_id   TEXT NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
    PRIMARY KEY (assessment_id, evidence_id)
);
INSERT INTO snapshot_evidence (assessment_id, evidence_id)
    SELECT e.assessment_id, e.id FROM evidence e
    JOIN assessments a ON a.id = e.assessment_id WHERE a.status = 'closed';

-- JSON object: threat id -> weight (the answers file's `threat_weights`); NULL: all 1.
ALTER TABLE organizations ADD COLUMN threat_weights_json TEXT;
