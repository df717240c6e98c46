"""Validates every rule example of docs/rules.md (```json rule blocks) and the scenario rules of
tests/scenarios/rules against docs/schema/rule.schema.json, and checks that a few invalid rules
are refused by the schema too. Exit 77 (skipped) when jsonschema is not installed."""
import json
import pathlib
import re
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema not installed: skipped")
    sys.exit(77)

root = pathlib.Path(sys.argv[1])
schema = json.loads((root / "docs/schema/rule.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failures = 0
examples = re.findall(r"```json rule\n(.*?)```", (root / "docs/rules.md").read_text(), re.S)
rules = [json.loads(e) for e in examples]
for path in sorted((root / "tests/scenarios/rules").glob("*.json")):
    for step in json.loads(path.read_text())["steps"]:
        if step.get("op") == "rule.create" and "error" not in step:
            r = dict(step["input"])
            r.pop("program_id", None)
            rules.append(r)
for r in rules:
    errors = list(validator.iter_errors(r))
    if errors:
        failures += 1
        print("INVALID:", json.dumps(r)[:200], "->", errors[0].message[:200])
for bad in [{"name": "x"}, {"name": "x", "actions": [{"type": "fixed"}]},
            {"name": "x", "actions": [{"type": "fixed", "points": 1}], "colour": 1},
            {"name": "x", "actions": [{"type": "per_currency", "rate": -1.5}]},
            {"name": "x", "actions": [{"type": "fixed", "points": 1}], "conditions": {"fact": "nope", "operator": "eq"}}]:
    if validator.is_valid(bad):
        failures += 1
        print("ACCEPTED:", json.dumps(bad))
print(f"{len(rules)} rules checked, {failures} failures")
sys.exit(1 if failures else 0)
