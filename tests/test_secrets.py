"""Secrets: `${env:NAME}` is read by the job when it starts. With the secrets set in the
environment of every command and of the job itself, their values appear in no generated file,
no command output and no log line — yet the job really uses them."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from harness import drop_file, run_job, spark_env

SECRETS = {
    "CUSTOMER_PEPPER": "pep-7f3a-SECRET-91c2",
    "API_TOKEN": "tok-55e1-SECRET-0b8d",
}
FILES = {
    "config/inputs.yaml": """\
sales:
  format: csv
  path: ${env:SALES_DIR:-data/sales}
  schema: "id INT, customer STRING, amount DOUBLE"
  options:
    header: true
    token: ${env:API_TOKEN}
""",
    "config/nodes.yaml": """\
pseudonymise:
  function: src.nodes.privacy.pseudonymise
  params:
    pepper: ${env:CUSTOMER_PEPPER}
""",
    "config/outputs.yaml": """\
pseudonymised:
  format: parquet
  path: data/out/
  mode: overwrite
""",
    "config/pipelines.yaml": """\
customers_report:
  nodes: [pseudonymise]
""",
    "src/nodes/privacy.py": """\
from pyspark.sql import functions as F


def pseudonymise(df, pepper):
    \"\"\"Customers become a salted hash: the pepper never leaves the environment.\"\"\"
    return df.withColumn("customer", F.sha2(F.concat(F.col("customer"), F.lit(pepper)), 256))
""",
}


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    """tauro-gen with the secrets in its environment, as on a developer's machine."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "tauro-gen"), *args],
        cwd=root,
        env=spark_env(SECRETS),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_no_secret(text: str, where: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"the value of {name} leaked into {where}"


@pytest.fixture
def secret_project(tmp_path) -> Path:
    root = tmp_path / "secret_project"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_secrets_appear_in_no_generated_file_and_no_command_output(secret_project):
    root = secret_project
    outputs = []
    for args in (
        ("validate",),
        ("validate", "--format", "json"),
        ("build", "--all"),
        ("list",),
        ("check",),
        ("explain", "--pipeline", "customers_report"),
        ("explain", "--pipeline", "customers_report", "--format", "json"),
        ("graph", "--pipeline", "customers_report"),
        ("diff", "build", "build"),
    ):
        result = cli(root, *args)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append((args, result.stdout + result.stderr))
    for args, text in outputs:
        assert_no_secret(text, f"the output of tauro-gen {' '.join(args)}")
    generated = sorted(p for p in (root / "build").rglob("*") if p.is_file())
    assert [p.name for p in generated] == [
        "customers_report.manifest.json",
        "customers_report.py",
    ]
    for path in generated:
        assert_no_secret(path.read_text(), str(path.relative_to(root)))

    job = (root / "build/customers_report.py").read_text()
    # References are read from the environment when the job starts.
    assert 'REQUIRED_ENV = (\n    "API_TOKEN",\n    "CUSTOMER_PEPPER",\n)' in job
    assert 'options = {"header": "true", "token": env("${env:API_TOKEN}")}' in job
    assert 'pepper=env("${env:CUSTOMER_PEPPER}")' in job
    assert 'path = env("${env:SALES_DIR:-data/sales}")' in job


def test_a_literal_secret_is_refused_without_echoing_it(secret_project):
    inputs = secret_project / "config/inputs.yaml"
    inputs.write_text(inputs.read_text().replace("${env:API_TOKEN}", "literal-SECRET-4711"))
    result = cli(secret_project, "build", "--all")
    assert result.returncode == 2
    assert "'token' holds a literal secret" in result.stderr
    assert "token: ${env:TOKEN}" in result.stderr
    assert "literal-SECRET-4711" not in result.stderr + result.stdout
    assert not (secret_project / "build").exists()


def test_the_job_refuses_to_start_without_its_secrets(secret_project):
    assert cli(secret_project, "build", "--all").returncode == 0
    env = spark_env()
    for name in SECRETS:
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "build/customers_report.py"],
        cwd=secret_project,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "environment variable(s) not set: API_TOKEN, CUSTOMER_PEPPER" in result.stderr


@pytest.mark.spark
def test_the_job_uses_the_secrets_and_logs_none(secret_project, spark):
    root = secret_project
    assert cli(root, "build", "--all").returncode == 0
    drop_file(
        root / "data/sales",
        "day1.csv",
        "id,customer,amount\n1,Alice,10.0\n2,Bob,20.0\n",
    )
    result = run_job(root, "build/customers_report.py", env=SECRETS)
    assert result.returncode == 0, result.stdout
    assert_no_secret(result.stdout, "the job's log")
    rows = {r.id: r.customer for r in spark.read.parquet(str(root / "data/out")).collect()}
    pepper = SECRETS["CUSTOMER_PEPPER"]
    assert rows == {
        1: hashlib.sha256(f"Alice{pepper}".encode()).hexdigest(),
        2: hashlib.sha256(f"Bob{pepper}".encode()).hexdigest(),
    }
