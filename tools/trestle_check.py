"""Loads OSCAL documents with compliance-trestle (NIST's model classes), as issue 5 asks:
each file must parse as the OSCAL model its root key names. Usage: trestle_check.py FILE...
Exits 1 and names the file and the error when one does not load."""
import json
import sys

from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog
from trestle.oscal.poam import PlanOfActionAndMilestones

MODELS = {
    "catalog": Catalog,
    "assessment-plan": AssessmentPlan,
    "assessment-results": AssessmentResults,
    "plan-of-action-and-milestones": PlanOfActionAndMilestones,
}

failed = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        root = json.load(f)
    (key,) = root.keys()
    try:
        MODELS[key].parse_obj(root[key])
        print(f"ok {path} ({key})")
    except Exception as e:  # noqa: BLE001 - report any model error with the file name
        failed += 1
        print(f"FAILED {path} ({key}): {e}")
print(f"{len(sys.argv) - 1 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
