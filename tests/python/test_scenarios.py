"""The shared scenarios (tests/scenarios) through the Python package: same verdicts as C++."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

import scenario_runner as sr

FILES = sr.scenario_files()


def test_there_are_scenarios() -> None:
    assert len(FILES) >= 17


@pytest.mark.parametrize("mode", ["dict", "json"])
@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(sr.ROOT).as_posix() for p in FILES])
def test_scenario(path: Path, mode: str) -> None:
    verdict, report = sr.run_file(path, mode)
    assert verdict in ("PASS", "SKIP"), report


def _write(tmp: Path, name: str, scenario: Dict[str, Any]) -> Path:
    p = tmp / f"{name}.json"
    p.write_text(json.dumps(scenario))
    return p


def _earn_scenario(**step_overrides: Any) -> Dict[str, Any]:
    step: Dict[str, Any] = {"op": "ledger.earn", "input": {"customer_id": "$alice", "points": 100}}
    step.update(step_overrides)
    return {
        "name": "probe",
        "description": "a probe of the driver",
        "now": "2026-03-01T12:00:00Z",
        "setup": {"tenants": [{"name": "main", "customers": ["alice"]}]},
        "steps": [step],
    }


# Files that must fail (or pass, or be skipped) the same way in every driver.
PROBES: Dict[str, Any] = {
    "pass_expect": ("PASS", _earn_scenario(expect={"balance": {"balance": 100}, "replayed": False})),
    "fail_wrong_number": ("FAIL", _earn_scenario(expect={"balance": {"balance": 101}})),
    "fail_bool_is_not_number": ("FAIL", _earn_scenario(expect={"balance": {"balance": True}})),
    "fail_absent": ("FAIL", _earn_scenario(expect={"entry": {"$absent": True}})),
    "pass_absent": ("PASS", _earn_scenario(expect={"nothing_here": {"$absent": True}})),
    "pass_times_exact": ("PASS", _earn_scenario(expect={"entry": {"posted_at": "2026-03-01T12:00:00.000Z"}})),
    "fail_time_form": ("FAIL", _earn_scenario(expect={"entry": {"posted_at": "2026-03-01T12:00:00Z"}})),
    "fail_exact_extra_keys": ("FAIL", _earn_scenario(expect={"balance": {"$exact": {"balance": 100}}})),
    "pass_exact_empty": ("PASS", _earn_scenario(expect={"entry": {"metadata": {"$exact": {}}}})),
    "fail_len": ("FAIL", _earn_scenario(expect={"balance": {"$len": 1}})),
    "pass_error": ("PASS", _earn_scenario(input={"customer_id": "$alice", "points": "x"},
                                          error={"status": "invalid", "field": "points"})),
    "fail_error_field": ("FAIL", _earn_scenario(input={"customer_id": "$alice", "points": "x"},
                                                error={"status": "invalid", "field": None})),
    "fail_error_but_ok": ("FAIL", _earn_scenario(error={"status": "invalid"})),
    "fail_unexpected_error": ("FAIL", _earn_scenario(input={"customer_id": "nope", "points": 1})),
    "fail_unknown_key": ("FAIL", _earn_scenario(expectt={})),
    "fail_unbound": ("FAIL", _earn_scenario(input={"customer_id": "$bob", "points": 1})),
    "fail_capture_path": ("FAIL", _earn_scenario(capture={"x": "entry.nope"})),
    "fail_bad_duration": ("FAIL", _earn_scenario(advance="1x")),
    "skip": ("SKIP", dict(_earn_scenario(), skip="not yet")),
}


@pytest.mark.parametrize("mode", ["dict", "json"])
@pytest.mark.parametrize("name", sorted(PROBES))
def test_driver_verdicts(tmp_path: Path, name: str, mode: str) -> None:
    want, scenario = PROBES[name]
    verdict, report = sr.run_file(_write(tmp_path, name, scenario), mode)
    assert verdict == want, report


def test_same_verdicts_as_the_cxx_driver(tmp_path: Path) -> None:
    """Runs the C++ driver (LOY_CXX_SCENARIO_DRIVER) on the real files and the probes."""
    driver = os.environ.get("LOY_CXX_SCENARIO_DRIVER")
    if not driver:
        pytest.skip("set LOY_CXX_SCENARIO_DRIVER to the loyalty_scenarios executable")
    paths: List[Path] = list(FILES) + [_write(tmp_path, n, s) for n, (_, s) in PROBES.items()]
    for p in paths:
        r = subprocess.run([driver, str(p)], capture_output=True, text=True, timeout=120)
        cxx = {0: "PASS", 1: "FAIL", 77: "SKIP"}[r.returncode]
        for mode in ("dict", "json"):
            py, report = sr.run_file(p, mode)
            assert py == cxx, f"{p.name} ({mode}): python {py}, C++ {cxx}\n{report}\n{r.stdout}"
