"""The API shows what a run learned from the owner's decisions, and the runs page says it too."""

from __future__ import annotations

from collections import Counter

from tests.api.conftest import Running


async def test_rejections_over_the_api_show_in_the_next_runs_calibration(running: Running) -> None:
    first = await running.run_analysis()
    assert first["calibration"] == {"kind": {}, "domain": {}, "lines": []}
    listed = await running.client.get("/api/suggestions", params={"limit": 200})
    items = listed.json()["items"]
    kinds = Counter(item["kind"] for item in items)
    kind = next(name for name, count in kinds.most_common() if count >= 3)
    for item in [item for item in items if item["kind"] == kind][:3]:
        rejected = await running.client.post(
            f"/api/suggestions/{item['id']}/reject", json={"reason": "we do that ourselves"}
        )
        assert rejected.status_code == 200, rejected.text

    second = await running.run_analysis()

    learned = second["calibration"]["kind"][kind]
    assert (learned["rejected"], learned["approved"], learned["factor"]) == (3, 0, 0.8)
    assert learned["reasons"] == ["we do that ourselves"]
    words = (
        f"{kind.replace('_', ' ')} habits ranked ×0.80: 0 of 3 approved (“we do that ourselves”)"
    )
    assert learned["words"] == words
    # what the ranking applied: the cells of those three, each decision counted once
    lines = second["calibration"]["lines"]
    assert lines, second["calibration"]
    assert all(" habits ranked ×" in line for line in lines[:-1])
    assert any(f"{kind.replace('_', ' ')} habits ranked" in line for line in lines)
    assert lines[-1] == "each decision counted half as much every 180 days of age"
    page = await running.client.get("/runs")
    assert page.status_code == 200
    assert lines[0] in page.text
