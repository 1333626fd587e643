"""The leakage guard on real inventories."""

from __future__ import annotations

import pytest

import traitlens
from traitlens.evaluation import (
    MethodContext,
    load_suite,
)

pytestmark = pytest.mark.slow


def test_leakage_guard_drops_rewordings_of_ipip50_items(real_encoder, shared_data):
    """28 IPIP-50 markers are IPIP-NEO-300 items with a leading 'I' (issue text); the guard drops them."""
    scored = load_suite("ipip50", shared_data).texts
    neo = traitlens.load_inventory("ipip-neo-300").texts
    ctx = MethodContext(encoder=real_encoder, scored_texts=scored, guard_encoder=real_encoder)
    kept = ctx.usable_exemplars(neo, source="ipip-neo-300")
    report = ctx.exclusions[0]
    assert (report["reason"] == "same text").sum() >= 28
    assert len(kept) + len(report) == 300
    assert "Worry about things." not in [neo[i] for i in kept]
    assert report["source"].eq("ipip-neo-300").all()
