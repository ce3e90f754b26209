"""The Cloud Run functions deploy script (tools/deploy_gcf.py): its commands, its refusals and --run."""

import json
import os
import pathlib
import shlex
import subprocess
import sys

import pytest

import main
from conftest import ROOT
from tools import deploy_gcf

SNAPSHOT = ROOT / "tests" / "fixtures" / "deploy_gcf_commands.txt"
SNAPSHOT_ARGUMENTS = [
    "--project=seda-prod", "--region=asia-northeast3", "--connector=seda-connector",
    "--service-account=seda-runtime@seda-prod.iam.gserviceaccount.com",
    "--env=SEDA_DATABASE=oracle", "--env=ORACLE_USER=SEDA", "--env=ORACLE_DSN=10.20.0.5:1521/SEDA",
    "--env=SEDA_CORS_ORIGINS=https://portal.example.kr,https://ops.example.kr",
]
MINIMAL = ["--project=p", "--region=r", "--network=vpc"]


def deploy(arguments, path):
    """Run the script as its users do, with PATH set to `path`: (exit status, stdout, stderr)."""
    environment = {**os.environ, "PATH": path}
    completed = subprocess.run(
        [sys.executable, "-m", "tools.deploy_gcf", *arguments],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )
    return completed.returncode, completed.stdout, completed.stderr


def python_only_path(tmp_path):
    """A PATH with the interpreter's folder and nothing else, so no gcloud (this machine has one)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python").symlink_to(sys.executable)
    return str(folder)


def test_commands_match_the_snapshot(tmp_path):
    status, printed, _ = deploy(SNAPSHOT_ARGUMENTS, python_only_path(tmp_path))
    assert status == 0
    assert printed == SNAPSHOT.read_text(encoding="utf-8"), (
        "the generated gcloud commands changed; if that is intended, update the snapshot with\n"
        f"  python -m tools.deploy_gcf {shlex.join(SNAPSHOT_ARGUMENTS)} > tests/fixtures/deploy_gcf_commands.txt"
    )


def test_every_target_is_deployed_with_its_own_entry_point(tmp_path):
    _, printed, _ = deploy(MINIMAL, python_only_path(tmp_path))
    commands = [shlex.split(line) for line in printed.splitlines()]
    entry_points = [next(arg for arg in command if arg.startswith("--entry-point=")) for command in commands]
    assert entry_points == [f"--entry-point={name}" for name in ["api", *main._TARGET_MODULES] if name != "metrics"]
    for command in commands:
        target = command[command.index("deploy") + 1]
        assert "_" not in target and "--gen2" in command and "--source=." in command
        assert "--network=vpc" in command and not any(arg.startswith("--vpc-connector") for arg in command)


def test_secrets_come_from_secret_manager_and_never_inline(tmp_path):
    _, printed, _ = deploy([*SNAPSHOT_ARGUMENTS, "--env=SEDA_PUBLIC_URL=https://seda.example.kr"], python_only_path(tmp_path))
    for command in map(shlex.split, printed.splitlines()):
        secrets = [arg for arg in command if arg.startswith("--set-secrets=")]
        assert secrets == ["--set-secrets=ORACLE_PASSWORD=seda-oracle-password:latest,SEDA_API_KEYS=seda-api-keys:latest"]
        plain = next(arg for arg in command if arg.startswith("--set-env-vars="))
        assert "ORACLE_PASSWORD" not in plain and "SEDA_API_KEYS" not in plain


@pytest.mark.parametrize("secret", ["ORACLE_PASSWORD", "SEDA_API_KEYS"])
def test_a_secret_given_as_plain_env_is_refused(tmp_path, secret):
    status, printed, errors = deploy([*MINIMAL, f"--env={secret}=hunter2hunter2hunter2"], python_only_path(tmp_path))
    assert status == 2 and printed == ""
    assert f"{secret} comes from Secret Manager" in errors
    assert "hunter2" not in errors


@pytest.mark.parametrize("arguments,message", [
    (["--project=p", "--region=r"], "one of the arguments --connector --network is required"),
    ([*MINIMAL, "--connector=c"], "not allowed with argument"),
    (["--project=p", "--region=r", "--connector=c", "--subnet=s"], "--subnet needs --network"),
    ([*MINIMAL, "--targets=api,nosuch"], "unknown target(s) nosuch; choose from all, api, application"),
    ([*MINIMAL, "--runtime=python310"], "invalid choice: 'python310'"),
    ([*MINIMAL, "--env=NOEQUALS"], "'NOEQUALS' is not KEY=VALUE"),
    (["--region=r", "--network=n"], "the following arguments are required: --project"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path, arguments, message):
    status, printed, errors = deploy(arguments, python_only_path(tmp_path))
    assert status == 2 and printed == ""
    assert message in errors


def test_run_without_gcloud_on_path_exits_2(tmp_path):
    status, printed, errors = deploy([*MINIMAL, "--run"], python_only_path(tmp_path))
    assert status == 2 and printed == ""
    assert "--run needs the gcloud CLI on PATH" in errors


def fake_gcloud(folder, log, exit_status=0):
    """An executable `gcloud` that appends its argv (one JSON list a line) to `log` and exits `exit_status`."""
    script = folder / "gcloud"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"with open({str(log)!r}, 'a') as log:\n    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"sys.exit({exit_status})\n"
    )
    script.chmod(0o755)


def test_run_runs_exactly_the_printed_commands(tmp_path):
    path = python_only_path(tmp_path)
    log = tmp_path / "argv.jsonl"
    fake_gcloud(pathlib.Path(path), log)
    arguments = [*SNAPSHOT_ARGUMENTS, "--targets=dashboard,api,diagnose_pending"]
    status, printed, _ = deploy([*arguments, "--run"], path)
    assert status == 0
    ran = [["gcloud", *json.loads(line)] for line in log.read_text().splitlines()]
    assert ran == [shlex.split(line) for line in printed.splitlines()]
    assert [command[3] for command in ran] == ["api", "dashboard", "diagnose-pending"]  # main.py's order
    assert printed == deploy(arguments, path)[1]  # the same commands without --run


def test_run_stops_at_the_first_failing_deploy_with_its_status(tmp_path):
    path = python_only_path(tmp_path)
    log = tmp_path / "argv.jsonl"
    fake_gcloud(pathlib.Path(path), log, exit_status=7)
    status, printed, _ = deploy([*MINIMAL, "--targets=api,health", "--run"], path)
    assert status == 7
    assert len(log.read_text().splitlines()) == 1 and len(printed.splitlines()) == 1


def test_targets_are_read_from_main_without_importing_it():
    # metrics would report only its own function's instances: functions get log-based metrics instead.
    assert deploy_gcf.targets() == ["api", *(name for name in main._TARGET_MODULES if name not in deploy_gcf.NOT_DEPLOYED)]
    fresh = subprocess.run([sys.executable, "-c", "import sys; from tools import deploy_gcf; deploy_gcf.targets(); "
                            "print('main' in sys.modules)"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert fresh.stdout.strip() == "False", fresh.stderr


def test_gcloudignore_keeps_what_the_service_loads():
    ignored = (ROOT / ".gcloudignore").read_text().splitlines()
    for needed in ["main.py", "functions/", "shared/", "sql/", "models/", "requirements.txt"]:
        assert needed not in ignored
    for dropped in ["tests/", "bench/", ".git/", "requirements-train.txt"]:
        assert dropped in ignored
