"""tauro_gen.runtime.environment as shipped in jobs: `${env:NAME}` filled at start,
`$${` kept literal, and a missing required variable ends the job with status 2."""

from __future__ import annotations

import logging

import pytest

from tauro_gen.runtime.environment import env, require_env


def test_a_reference_is_filled_from_the_environment(monkeypatch):
    monkeypatch.setenv("TG_HOST", "db.internal")
    monkeypatch.setenv("TG_PORT", "5433")
    assert env("jdbc:postgresql://${env:TG_HOST}:${env:TG_PORT}/x") == (
        "jdbc:postgresql://db.internal:5433/x"
    )


def test_a_default_applies_only_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv("TG_UNSET", raising=False)
    monkeypatch.setenv("TG_SET", "given")
    assert env("${env:TG_UNSET:-fallback}/${env:TG_SET:-fallback}") == "fallback/given"


def test_an_unset_variable_without_default_becomes_empty(monkeypatch):
    monkeypatch.delenv("TG_UNSET", raising=False)
    assert env("a${env:TG_UNSET}b") == "ab"


def test_double_dollar_escapes_a_reference(monkeypatch):
    monkeypatch.setenv("TG_HOST", "db.internal")
    assert env("$${env:TG_HOST} is ${env:TG_HOST}") == "${env:TG_HOST} is db.internal"


def test_text_without_references_is_unchanged():
    assert env("plain $ text {x}") == "plain $ text {x}"


def test_require_env_passes_when_all_are_set(monkeypatch):
    monkeypatch.setenv("TG_A", "")  # set, even if empty
    require_env(("TG_A",))


def test_require_env_exits_2_naming_every_missing_variable(monkeypatch, caplog):
    monkeypatch.setenv("TG_A", "1")
    monkeypatch.delenv("TG_B", raising=False)
    monkeypatch.delenv("TG_C", raising=False)
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stopped:
        require_env(("TG_A", "TG_B", "TG_C"))
    assert stopped.value.code == 2
    assert caplog.messages == ["environment variable(s) not set: TG_B, TG_C"]
