"""The feature registry (bot/registry.py): what the features declare is checked when the bot
starts, not when the first message of a kind is sent or the first reminder falls due."""

from __future__ import annotations

import pytest

from bot import registry
from bot.feature import Feature
from models import outbox, schedule


async def render(session, payload, _):
    return None


async def effect(session, item, now):
    return None


def test_every_declared_outbox_kind_has_exactly_one_renderer():
    kinds = registry.renderers()
    assert set(kinds) == outbox.declared_kinds()
    lacking = [f for f in registry.FEATURES if f.renderers]
    assert lacking, "no feature renders anything"
    without = [f if f is not lacking[0] else Feature(lacking[0].name) for f in registry.FEATURES]
    with pytest.raises(RuntimeError, match="without a renderer"):
        registry.renderers(without)
    twice = [*registry.FEATURES, Feature("copy", renderers=dict(lacking[0].renderers))]
    with pytest.raises(RuntimeError, match="two renderers"):
        registry.renderers(twice)
    stray = [*registry.FEATURES, Feature("stray", renderers={"no.such.kind": render})]
    with pytest.raises(RuntimeError, match="no model declares"):
        registry.renderers(stray)


def test_enqueueing_an_undeclared_kind_fails_at_once():
    with pytest.raises(ValueError, match="not declared"):
        outbox.enqueue(None, chat_id=1, kind="no.such.kind", payload={})  # type: ignore[arg-type]


def test_every_scheduled_due_kind_has_an_effect():
    assert set(registry.effects()) == schedule.declared_due_kinds()
    with pytest.raises(RuntimeError, match="without an effect"):
        registry.effects([f for f in registry.FEATURES if not f.effects])
    with pytest.raises(RuntimeError, match="two effects"):
        registry.effects([*registry.FEATURES, Feature("copy", effects={
            next(iter(schedule.declared_due_kinds())): effect})])


def test_feature_names_are_unique_and_every_input_step_belongs_to_one():
    names = registry.by_name()
    assert set(names) >= {"account", "onboarding", "approvals", "groups", "notices", "pledges"}
    with pytest.raises(RuntimeError, match="two features"):
        registry.by_name([*registry.FEATURES, Feature("pledges")])


def test_menus_come_from_the_features_in_their_order():
    resident = [c.name for c in registry.menu_commands("resident")]
    assert resident == ["start", "me", "notices", "pledges", "votes", "polls", "report",
                        "myreports", "language", "help"]
    assert [c.name for c in registry.menu_commands("manager")] == ["pending", "notice",
                                                                   "pledge", "tags"]
    assert [c.name for c in registry.menu_commands("group")] == ["help", "bind"]
