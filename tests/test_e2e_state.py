"""Stateful streaming in generated jobs, run for real: event-time windows with a watermark
(read from a real Kafka broker, written in update mode to Kafka and in append mode to
parquet), and a stream-stream join bounded by event time with watermarks on both inputs.

Each step is a --available-now run on the same checkpoint: Spark ends such a run with a
no-data batch when the watermark moved, so windows the watermark has passed are emitted
before the job exits."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from harness import assert_clean_log, build, committed_sink_frame, configure, drop_file, run_job
from infra import jars
from infra.kafka import KafkaBroker
from infra.spark_packages import kafka_package
from pyspark.sql import functions as F

pytestmark = [pytest.mark.spark, pytest.mark.infra]


@pytest.fixture(scope="module")
def kafka():
    jars.warm([kafka_package()])
    with KafkaBroker() as broker:
        yield broker


def reading(sensor: str, value: float, at: str) -> str:
    return json.dumps({"sensor": sensor, "reading": value, "ts": f"2024-01-01T{at}"})


def window(start: str, sensor: str, count: int, total: float, peak: float) -> dict:
    hour, minute = start.split(":")
    end = f"{hour}:{int(minute) + 1:02d}"
    return {
        "window_start": f"2024-01-01 {start}:00",
        "window_end": f"2024-01-01 {end}:00",
        "sensor": sensor,
        "readings": count,
        "total": total,
        "peak": peak,
    }


def test_windows_with_watermark_in_update_and_append_mode(kafka, project, spark):
    root = project("streaming_windows")
    suffix = uuid.uuid4().hex[:6]
    readings, updates = f"readings-{suffix}", f"updates-{suffix}"
    kafka.create_topic(readings)
    kafka.create_topic(updates)
    configure(root, kafka_bootstrap=kafka.bootstrap, readings_topic=readings, updates_topic=updates)
    packages = build(root, "sensor_windows")
    assert packages == [kafka_package()]
    seen = 0
    last_log = ""

    def step(*messages: str) -> tuple[list, list]:
        """Produce, run to the end; return the new update messages and all final windows."""
        nonlocal seen, last_log
        kafka.produce(readings, list(messages))
        result = run_job(root, "build/sensor_windows.py", "--available-now", packages=packages)
        assert result.returncode == 0, result.stdout
        assert_clean_log(result.stdout)
        assert "query sensor_windows.window_updates finished" in result.stdout
        assert "query sensor_windows.final_windows finished" in result.stdout
        last_log = result.stdout
        consumed = kafka.consume(updates)
        new = [(k.decode(), json.loads(v)) for k, v in consumed[seen:]]
        seen = len(consumed)
        final_dir = root / "data" / "final_windows"
        frame = committed_sink_frame(spark, final_dir)
        final = [] if frame is None else [r.asDict() for r in frame.collect()]

        def key(w):
            return (w["window_start"], w["sensor"])

        return sorted(new, key=lambda m: key(m[1])), sorted(final, key=key)

    # Run 1: window 10:00 opens for two sensors. Update mode reports both at once; append
    # mode emits nothing, the watermark (newest 10:00:30 - 10 s) is still inside the window.
    new, final = step(
        reading("s1", 1.0, "10:00:05"),
        reading("s2", 4.0, "10:00:10"),
        reading("s1", 2.0, "10:00:30"),
    )
    assert new == [
        ("s1", window("10:00", "s1", 2, 3.0, 2.0)),
        ("s2", window("10:00", "s2", 1, 4.0, 4.0)),
    ]
    assert final == []
    # No spark.sql.shuffle.partitions in the project: the job sized it to its cores, and the
    # new checkpoint recorded that number for good.
    sized = "shuffle partitions for new checkpoints: 2 (local[2])"
    assert sized in last_log
    offsets = root / "checkpoints" / "sensor_windows" / "final_windows" / "offsets" / "0"
    assert '"spark.sql.shuffle.partitions":"2"' in offsets.read_text()

    # Run 2: a reading still in time changes s1's 10:00 window; a reading at 10:05 moves the
    # watermark to 10:04:50, past 10:01: append mode now emits the 10:00 windows, final.
    new, final = step(reading("s1", 5.0, "10:00:40"), reading("s2", 1.0, "10:05:00"))
    assert new == [
        ("s1", window("10:00", "s1", 3, 8.0, 5.0)),
        ("s2", window("10:05", "s2", 1, 1.0, 1.0)),
    ]
    assert final == [window("10:00", "s1", 3, 8.0, 5.0), window("10:00", "s2", 1, 4.0, 4.0)]

    # Run 3: a reading for 10:00 is now late (behind the watermark) and is dropped: no
    # update, the final figures stand. 10:07 moves the watermark past 10:06: 10:05 is final.
    new, final = step(
        reading("s1", 9.0, "10:00:50"),
        reading("s2", 2.0, "10:05:30"),
        reading("s1", 1.0, "10:07:00"),
    )
    assert new == [
        ("s2", window("10:05", "s2", 2, 3.0, 2.0)),
        ("s1", window("10:07", "s1", 1, 1.0, 1.0)),
    ]
    assert final == [
        window("10:00", "s1", 3, 8.0, 5.0),
        window("10:00", "s2", 1, 4.0, 4.0),
        window("10:05", "s2", 2, 3.0, 2.0),
    ]


def epoch(hms: str) -> int:
    return int(datetime.fromisoformat(f"2024-05-01T{hms}").replace(tzinfo=timezone.utc).timestamp())


def test_stream_stream_join_with_watermarks_on_both_sides(project, spark):
    root = project("streaming_join")
    assert build(root, "click_attribution") == []
    impressions, clicks = root / "data" / "impressions", root / "data" / "clicks"

    def lines(*rows: dict) -> str:
        return "".join(json.dumps(r) + "\n" for r in rows)

    def imp(ad: int, campaign: str, at: str) -> dict:
        return {"ad_id": ad, "campaign": campaign, "impression_time": f"2024-05-01T{at}"}

    def click(ad: int, at: str, user: str) -> dict:
        return {"click_ad_id": ad, "click_time": f"2024-05-01T{at}", "user_id": user}

    def joined() -> list[tuple]:
        df = spark.read.parquet(str(root / "data" / "attributed"))
        return sorted(
            tuple(r)
            for r in df.select(
                "ad_id",
                "campaign",
                "user_id",
                F.unix_timestamp("impression_time"),
                F.unix_timestamp("click_time"),
            ).collect()
        )

    drop_file(
        impressions,
        "imp-1.json",
        lines(
            imp(1, "spring", "10:00:00"), imp(2, "spring", "10:00:30"), imp(3, "summer", "10:01:00")
        ),
    )
    drop_file(
        clicks,
        "clicks-1.json",
        # u1: 1 min after ad 1's impression. u2: 2.5 min after ad 2's, outside the bound.
        # u3: an ad never shown.
        lines(click(1, "10:01:00", "u1"), click(2, "10:03:00", "u2"), click(9, "10:01:10", "u3")),
    )
    result = run_job(root, "build/click_attribution.py", "--available-now")
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)
    assert joined() == [(1, "spring", "u1", epoch("10:00:00"), epoch("10:01:00"))]

    # Run 2 on the same checkpoint: a click matching an impression of run 1 (kept in the
    # join's state), and a new impression with its click in separate files.
    drop_file(clicks, "clicks-2.json", lines(click(3, "10:02:00", "u4")))
    drop_file(impressions, "imp-2.json", lines(imp(4, "autumn", "10:02:10")))
    drop_file(clicks, "clicks-3.json", lines(click(4, "10:02:20", "u6")))
    again = run_job(root, "build/click_attribution.py", "--available-now")
    assert again.returncode == 0, again.stdout
    assert_clean_log(again.stdout)
    assert joined() == [
        (1, "spring", "u1", epoch("10:00:00"), epoch("10:01:00")),
        (3, "summer", "u4", epoch("10:01:00"), epoch("10:02:00")),
        (4, "autumn", "u6", epoch("10:02:10"), epoch("10:02:20")),
    ]
