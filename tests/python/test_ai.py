"""AI operations from Python: the offline default, the typed ``session.ai`` methods, and a Python
object registered as the host's AI provider (docs/ai.md)."""

from __future__ import annotations

import threading
from typing import Any, Dict, List

import pytest

import loyalty


class Host:
    """A host provider: five methods, dict in, dict out."""

    model = "py-host-1"

    def __init__(self) -> None:
        self.calls: List[str] = []
        self.fail = False
        self.threads: List[str] = []

    def _seen(self, name: str) -> None:
        self.calls.append(name)
        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("model offline")

    def recommendations(self, input: Dict[str, Any]) -> Dict[str, Any]:
        self._seen("recommendations")
        return {"items": []}

    def churn(self, input: Dict[str, Any]) -> Dict[str, Any]:
        self._seen("churn")
        return {
            "customers": [
                {"id": c["id"], "risk": 0.9, "band": "high", "factors": [], "actions": ["call"]}
                for c in input["customers"]
            ]
        }

    def segmentation(self, input: Dict[str, Any]) -> Dict[str, Any]:
        self._seen("segmentation")
        return {"segments": [{"name": "all", "definition": "everyone", "size": len(input["customers"]),
                              "members": [c["id"] for c in input["customers"]]}]}

    def feedback(self, input: Dict[str, Any]) -> Dict[str, Any]:
        self._seen("feedback")
        return {"items": [{"id": i["id"], "sentiment": "positive", "score": 2.0, "themes": []} for i in input["items"]],
                "summary": {}}

    def location_insights(self, input: Dict[str, Any]) -> Dict[str, Any]:
        self._seen("location_insights")
        return {"locations": []}


def test_offline_is_the_default(session: loyalty.Session, customer: str) -> None:
    r = session.ai.churn(customer_id=customer)
    assert r["provider"] == "offline" and r["model"] == "offline-v1" and r["cached"] is False
    assert r["output"]["customers"][0]["id"] == customer
    assert session.ai.churn(customer_id=customer)["cached"] is True
    f = session.ai.feedback(texts=["Great coffee, friendly staff", "Terrible wait"])
    assert [i["sentiment"] for i in f["output"]["items"]] == ["positive", "negative"]
    assert session.ai.settings()["provider"] == "offline"
    with pytest.raises(loyalty.InvalidError):
        session.ai.churn()


def test_python_host_provider(engine: loyalty.Engine, session: loyalty.Session, customer: str) -> None:
    host = Host()
    session.ai.configure(provider="callback")
    with pytest.raises(loyalty.UnavailableError):
        session.ai.churn(customer_id=customer)
    with pytest.raises(loyalty.InvalidError):
        engine.set_ai_provider(object())
    engine.set_ai_provider(host)
    r = session.ai.churn(customer_id=customer)
    assert r["provider"] == "callback" and r["model"] == "py-host-1"
    assert r["output"]["customers"][0]["id"] == customer  # mapped back from the pseudonym
    assert r["output"]["customers"][0]["risk"] == 0.9
    seg = session.ai.segments()
    assert seg["output"]["segments"][0]["members"] == [customer]
    # Output that breaks the schema (score 2.0, empty summary) is refused and not stored.
    with pytest.raises(loyalty.InvalidError):
        session.ai.feedback(text="hello")
    host.fail = True
    with pytest.raises(loyalty.UnavailableError):
        session.ai.churn(customer_id=customer, refresh=True)
    # Earning never waits for the provider.
    assert session.ledger.earn(customer_id=customer, points=10)["entry"]["points"] == 10
    engine.set_ai_provider(None)
    with pytest.raises(loyalty.UnavailableError):
        session.ai.churn(customer_id=customer, refresh=True)
    assert host.calls == ["churn", "segmentation", "feedback", "churn"]


def test_python_host_provider_from_threads(engine: loyalty.Engine, tenant: Dict[str, Any], session: loyalty.Session) -> None:
    host = Host()
    engine.set_ai_provider(host)
    session.ai.configure(provider="callback")
    ids = [session.customer.enroll(external_id=f"c{n}")["id"] for n in range(4)]
    errors: List[BaseException] = []

    def work(cid: str) -> None:
        try:
            with engine.session(tenant["api_key"]["key"]) as s:
                for _ in range(5):
                    assert s.ai.churn(customer_id=cid, refresh=True)["output"]["customers"][0]["id"] == cid
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(host.calls) == 20
    assert len(set(host.threads)) == 4
