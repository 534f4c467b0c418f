"""rename_globals: a module-level name renamed exactly where Python looks it up."""

from __future__ import annotations

import pytest

from tauro_gen import jobcode
from tauro_gen.rename import RenameError, free_locals, rename_globals

SOURCE = '''\
import signal
from pyspark.sql import functions as F
from .job import log

PIPELINE = "p"  # log stays in comments
log = make(PIPELINE)


def run(spark, stop):
    """run() in a docstring stays."""
    log.info("log %s", PIPELINE)
    spark.run(log=1)  # an attribute and a keyword
    F.col("x")
    signal.signal(signal.SIGINT, handler)
    return run


def shadowing(log, F):
    return log, F


def local():
    signal = 1
    return signal, [log for log in range(3)], [x for x in log], (lambda log: log)


class StopRequest:
    SIGNALS = frozenset({signal.SIGINT})
    run = 1

    def __init__(self, main=run) -> None:
        self.x = run
        self.y = self.run

    def log(self):
        return PIPELINE


def globals_():
    global run
    run = 2


if __name__ == "__main__":
    raise SystemExit(run(1, 2))
'''

RENAMES = {"run": "run_", "log": "log_2", "signal": "signal_", "F": "F_", "PIPELINE": "PIPELINE_"}


def test_renames_references_to_the_global_and_nothing_else():
    source = SOURCE.replace("def globals_():\n    global run\n    run = 2\n\n\n", "")
    renamed = rename_globals(source, RENAMES)
    assert renamed == '''\
import signal as signal_
from pyspark.sql import functions as F_
from .job import log as log_2

PIPELINE_ = "p"  # log stays in comments
log_2 = make(PIPELINE_)


def run_(spark, stop):
    """run() in a docstring stays."""
    log_2.info("log %s", PIPELINE_)
    spark.run(log=1)  # an attribute and a keyword
    F_.col("x")
    signal_.signal(signal_.SIGINT, handler)
    return run_


def shadowing(log, F):
    return log, F


def local():
    signal = 1
    return signal, [log for log in range(3)], [x for x in log_2], (lambda log: log)


class StopRequest:
    SIGNALS = frozenset({signal_.SIGINT})
    run = 1

    def __init__(self, main=run) -> None:
        self.x = run_
        self.y = self.run

    def log(self):
        return PIPELINE_


if __name__ == "__main__":
    raise SystemExit(run_(1, 2))
'''
    compile(renamed, "job", "exec")


def test_a_global_statement_is_refused_rather_than_renamed_half():
    with pytest.raises(RenameError):
        rename_globals(SOURCE, RENAMES)


def test_nothing_to_rename_returns_the_text_unchanged():
    assert rename_globals(SOURCE, {"absent": "x"}) is SOURCE
    assert rename_globals(SOURCE, {}) is SOURCE


def test_every_runtime_piece_renames_to_code_that_compiles():
    """Every name a job binds, renamed in every runtime piece: still valid Python, and the
    old names are gone from the code (only attributes and strings keep them)."""
    copied = jobcode.collect_runtime(tuple(jobcode.RUNTIME_DEFINITIONS))
    renames = {name: f"{name}_renamed" for name in (*jobcode.JOB_NAMES, *jobcode.JOB_IMPORTS)}
    for block in copied.blocks:
        renamed = rename_globals(block.text, renames)
        compile(renamed, block.name, "exec")
        assert f"{block.name}_renamed" in renamed


def test_a_local_that_would_capture_the_users_function_is_renamed():
    """The writer calls the user's foreach_batch function `writer` (here a stand-in):
    its own local `writer` (and a parameter `df`) make way, the user's name comes back."""
    layout = (
        "def write_out(df, available_now):\n"
        "    writer = df.writeStream.foreachBatch(_user_0_)\n"
        "    if available_now:\n"
        "        writer = writer.trigger(availableNow=True)\n"
        "    return writer.start(df=1)\n"
    )
    stand_ins = {"_user_0_": "writer"}
    with pytest.raises(RenameError):
        rename_globals(layout, stand_ins)
    freed = rename_globals(free_locals(layout, stand_ins, avoid={"writer_"}), stand_ins)
    assert freed == (
        "def write_out(df, available_now):\n"
        "    writer_2 = df.writeStream.foreachBatch(writer)\n"
        "    if available_now:\n"
        "        writer_2 = writer_2.trigger(availableNow=True)\n"
        "    return writer_2.start(df=1)\n"
    )
    params = free_locals(layout, {"_user_0_": "df"}, avoid=())
    assert params.startswith("def write_out(df_, available_now):\n    writer = df_.writeStream")
    assert "start(df=1)" in params
