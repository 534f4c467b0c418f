"""Secrets: `${env:NAME}` is read by the job when it starts. With the secrets set in the
environment of every command and of the job itself, their values appear in no generated file,
no command output and no log line — yet the job really uses them."""

from __future__ import annotations

import hashlib
import json
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


def pseudonymise(df, pepper, **settings):
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


COMMANDS = (
    ("validate",),
    ("validate", "--format", "json"),
    ("build", "--all"),
    ("list",),
    ("check",),
    ("explain", "--pipeline", "customers_report"),
    ("explain", "--pipeline", "customers_report", "--format", "json"),
    ("graph", "--pipeline", "customers_report"),
    ("diff", "build", "build"),
)


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
    for args in COMMANDS:
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


# One project per kind of literal secret: (file, text) replacing one file of the project above,
# and the secret value that must appear nowhere but in that config file.
JDBC_OUTPUT = """\
pseudonymised:
  format: jdbc
  options:
    url: {url}
    dbtable: public.customers
"""
LITERAL_SECRETS = {
    "env_default": (
        "config/inputs.yaml",
        FILES["config/inputs.yaml"].replace("${env:API_TOKEN}", "${env:API_TOKEN:-LEAK-tok-01}"),
        "LEAK-tok-01",
    ),
    "jdbc_query": (
        "config/outputs.yaml",
        JDBC_OUTPUT.format(url="jdbc:postgresql://db/shop?user=app&password=LEAK-pw-02"),
        "LEAK-pw-02",
    ),
    "sqlserver_properties": (
        "config/outputs.yaml",
        JDBC_OUTPUT.format(url='"jdbc:sqlserver://db:1433;user=app;password=LEAK-pw-03"'),
        "LEAK-pw-03",
    ),
    "url_userinfo": (
        "config/outputs.yaml",
        JDBC_OUTPUT.format(url="jdbc:mysql://app:LEAK-pw-04@db:3306/shop"),
        "LEAK-pw-04",
    ),
    "azure_account_key": (
        "config/pipelines.yaml",
        FILES["config/pipelines.yaml"]
        + "  spark_conf:\n"
        + "    spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net: LEAK-key-05\n",
        "LEAK-key-05",
    ),
    "s3a_secret_key_global": (
        "config/global_settings.yaml",
        "spark_conf:\n  fs.s3a.secret.key: LEAK-key-06\n",
        "LEAK-key-06",
    ),
    "aws_param": (
        "config/nodes.yaml",
        FILES["config/nodes.yaml"] + "    aws_secret_access_key: LEAK-key-07\n",
        "LEAK-key-07",
    ),
    "jaas_password": (
        "config/inputs.yaml",
        FILES["config/inputs.yaml"]
        + "    jaas: 'org.apache.kafka.common.security.plain.PlainLoginModule required"
        + ' username="etl" password="LEAK-pw-08";\'\n',
        "LEAK-pw-08",
    ),
    "connection_string": (
        "config/nodes.yaml",
        FILES["config/nodes.yaml"]
        + '    conn: "AccountName=acct;AccountKey=LEAK-key-09;EndpointSuffix=core.windows.net"\n',
        "LEAK-key-09",
    ),
    "sas_signature": (
        "config/nodes.yaml",
        FILES["config/nodes.yaml"]
        + '    ref: "https://a.blob.core.windows.net/c/f?sv=1&sig=LEAK-10"\n',
        "LEAK-10",
    ),
    "private_key": (
        "config/nodes.yaml",
        FILES["config/nodes.yaml"]
        + '    pem: "-----BEGIN PRIVATE KEY-----\\nLEAK-11\\n-----END PRIVATE KEY-----"\n',
        "LEAK-11",
    ),
    "default_where_env_cannot_stand": (
        "config/global_settings.yaml",
        "checkpoint_root: ${env:CHECKPOINT_TOKEN:-LEAK-12}\n",
        "LEAK-12",
    ),
    # A malformed reference is reported as such (TG110) and as a literal secret (TG601):
    # neither message repeats its default.
    "malformed_reference_default": (
        "config/inputs.yaml",
        FILES["config/inputs.yaml"].replace("${env:API_TOKEN}", "${env:API-TOKEN:-LEAK-13}"),
        "LEAK-13",
    ),
    "unterminated_reference_default": (
        "config/inputs.yaml",
        FILES["config/inputs.yaml"].replace("${env:API_TOKEN}", '"${env:API_TOKEN:-LEAK-14"'),
        "LEAK-14",
    ),
}
# The diagnostics each kind gets (code's first three characters), when not one TG6xx.
CODES = {
    "default_where_env_cannot_stand": ["TG1"],
    "malformed_reference_default": ["TG1", "TG6"],
    "unterminated_reference_default": ["TG1", "TG6"],
}


@pytest.mark.parametrize("kind", sorted(LITERAL_SECRETS))
def test_a_literal_secret_of_every_kind_is_refused_and_shown_nowhere(secret_project, kind):
    file, text, secret = LITERAL_SECRETS[kind]
    codes = CODES.get(kind, ["TG6"])
    root = secret_project
    (root / file).write_text(text)
    results = {args: cli(root, *args) for args in COMMANDS}
    assert results[("validate",)].returncode == 2
    found = json.loads(results[("validate", "--format", "json")].stdout)
    assert sorted((d["code"][:3], d["file"]) for d in found) == [(c, file) for c in codes], found
    assert results[("build", "--all")].returncode == 2
    for args, result in results.items():
        assert result.returncode != 3, (args, result.stderr)  # a user's mistake, not our bug
        assert secret not in result.stdout + result.stderr, f"tauro-gen {' '.join(args)}"
    assert not (root / "build").exists()
    holders = [p for p in root.rglob("*") if p.is_file() and secret in p.read_text()]
    assert holders == [root / file]
