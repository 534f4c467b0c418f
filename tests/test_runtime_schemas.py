"""tauro_gen.runtime.schemas.pinned_schema on the shared session: no file yet, a first
file (inferred and stored), later calls (the stored schema, whatever the files say now),
waiting for a first file, and a store that is empty or garbled."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from pyspark.sql.types import StructType

from tauro_gen.runtime.schemas import NoInputYet, pinned_schema
from tauro_gen.runtime.stopping import StopRequest

pytestmark = pytest.mark.spark


def _write_json(folder, name: str, *rows: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{name}.tmp"  # renamed in place: a reader never sees half a file
    part.write_text("".join(json.dumps(row) + "\n" for row in rows))
    part.rename(folder / name)


def _pin(spark, tmp_path, stop=None, wait=False) -> StructType:
    return pinned_schema(
        spark,
        "json",
        str(tmp_path / "in"),
        {},
        str(tmp_path / "schema"),
        stop or StopRequest(),
        wait,
    )


def _stored(tmp_path) -> StructType:
    parts = sorted((tmp_path / "schema").glob("part-*"))
    (text,) = "".join(p.read_text() for p in parts).splitlines()
    return StructType.fromJson(json.loads(text))


def test_no_folder_yet_is_no_input_yet(spark, tmp_path):
    with pytest.raises(NoInputYet, match="no file in .*in yet"):
        _pin(spark, tmp_path)
    assert not (tmp_path / "schema").exists()


def test_an_empty_folder_is_no_input_yet(spark, tmp_path):
    (tmp_path / "in").mkdir()
    with pytest.raises(NoInputYet):
        _pin(spark, tmp_path)
    assert not (tmp_path / "schema").exists()


def test_the_first_file_s_schema_is_inferred_and_stored(spark, tmp_path, caplog):
    _write_json(tmp_path / "in", "a.json", {"id": 1, "name": "ann"})
    with caplog.at_level(logging.INFO):
        schema = _pin(spark, tmp_path)
    assert schema.simpleString() == "struct<id:bigint,name:string>"
    assert _stored(tmp_path) == schema
    assert any("inferred and pinned" in m for m in caplog.messages)


def test_later_calls_read_the_stored_schema_whatever_the_files_say(spark, tmp_path, caplog):
    _write_json(tmp_path / "in", "a.json", {"id": 1, "name": "ann"})
    first = _pin(spark, tmp_path)
    (tmp_path / "in" / "a.json").unlink()
    _write_json(tmp_path / "in", "b.json", {"id": "x", "extra": True})
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = _pin(spark, tmp_path)
    assert again == first
    assert not any("inferred" in m for m in caplog.messages)


def test_waiting_returns_once_a_first_file_arrives(spark, tmp_path, caplog):
    (tmp_path / "in").mkdir()
    arrival = threading.Timer(2, _write_json, (tmp_path / "in", "a.json", {"id": 1}))
    arrival.start()
    try:
        with caplog.at_level(logging.INFO):
            schema = _pin(spark, tmp_path, wait=True)
    finally:
        arrival.cancel()
    assert schema.simpleString() == "struct<id:bigint>"
    assert (
        caplog.messages.count(f"waiting for a first file in {tmp_path / 'in'} to infer its schema")
        == 1
    )


def test_a_stop_request_ends_the_wait(spark, tmp_path):
    (tmp_path / "in").mkdir()
    stop = StopRequest()

    def request_stop():
        time.sleep(2)
        stop.signal_name = "SIGTERM"  # what the handler records

    threading.Thread(target=request_stop, daemon=True).start()
    with pytest.raises(NoInputYet):
        _pin(spark, tmp_path, stop=stop, wait=True)
    assert stop.requested


def test_an_empty_store_left_by_an_interrupted_write_is_filled(spark, tmp_path):
    """A write killed before its commit leaves the folder with no record in it."""
    (tmp_path / "schema" / "_temporary" / "0").mkdir(parents=True)
    _write_json(tmp_path / "in", "a.json", {"id": 1})
    schema = _pin(spark, tmp_path)
    assert _stored(tmp_path) == schema


def test_a_garbled_store_is_an_error_not_a_new_inference(spark, tmp_path):
    """Inferring again could change the columns under an existing checkpoint."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "part-00000.txt").write_text('{"type": "struct", "fie\n')
    _write_json(tmp_path / "in", "a.json", {"id": 1})
    with pytest.raises(ValueError):
        _pin(spark, tmp_path)
