"""Deploy every target to Cloud Run functions (2nd gen): `python -m tools.deploy_gcf --project P --region R
(--connector C | --network N [--subnet S]) [--targets a,b|all] [--env KEY=VALUE ...] [--run]`.

Prints one `gcloud functions deploy` per target (shell-quoted, one per line, `api` first and then
main.py's routes in their order); `--run` also runs them, in that order, stopping at the first
that fails. Without `--run` gcloud is never called.

- Source: this tree (`--source=.`, filtered by `.gcloudignore`), entry point = target name; the
  function's name is the target with `-` for `_` (function names allow no underscore).
- Dependencies: the buildpack runs `pip install -r requirements.txt`, whose `-c constraints.txt` pins every
  transitive package (`python -m tools.lock`); the script refuses a tree where requirements.txt does not apply
  constraints.txt or the file is missing, since that build would install whatever is newest that day.
- Secrets: ORACLE_PASSWORD and SEDA_API_KEYS come from Secret Manager (`--set-secrets`, their
  `:latest` versions); `--env` refuses them, so no secret value is ever on a command line.
- Egress to the database: a Serverless VPC Access connector (`--connector`, only private ranges
  through it) or Direct VPC egress (`--network`/`--subnet`, gcloud 545 or newer).
- Concurrency: the handlers are async, so one instance serves many requests; concurrency above 1
  needs a whole vCPU. CONCURRENCY equals SEDA_MAX_IN_FLIGHT's default, so the platform adds an
  instance before ours would answer 429.

Exit status: 0 when every command was printed (and run), 2 for bad arguments, an unpinned tree or no gcloud
on PATH with `--run`, otherwise the failing gcloud's own status.
"""

import argparse
import ast
import pathlib
import shlex
import shutil
import subprocess
import sys

from shared.config.limits import DEFAULT_MAX_IN_FLIGHT
from tools.lock import CONSTRAINTS

SOURCE_ROOT = pathlib.Path(__file__).resolve().parent.parent
# Every runtime pin (requirements.txt and, through it, constraints.txt) has manylinux_2_28 wheels for 3.11, 3.12
# and 3.13 (tests/test_container.py resolves each, wheels only); 3.12 is supported longer than 3.11 and is also
# the Lambda runtime.
RUNTIMES = ("python311", "python312", "python313")
DEFAULT_RUNTIME = "python312"
CONCURRENCY = DEFAULT_MAX_IN_FLIGHT  # SEDA_MAX_IN_FLIGHT's default
CPU = "1"  # concurrency above 1 needs at least one vCPU
# Environment variable → Secret Manager secret holding it.
SECRETS = {"ORACLE_PASSWORD": "seda-oracle-password", "SEDA_API_KEYS": "seda-api-keys"}
# What a target gets unless TARGET_SIZES says otherwise.
DEFAULT_SIZE = {"memory": "512Mi", "timeout": "60s", "min_instances": 0}
TARGET_SIZES = {
    # The router serves every path (NumPy and the model included) and streams exports: kept warm.
    "api": {"memory": "1Gi", "timeout": "300s", "min_instances": 1},
    # Diagnoses load NumPy and onnxruntime; exports stream for minutes.
    "diagnoses": {"memory": "1Gi", "timeout": "300s"},
    "measurements": {"memory": "1Gi", "timeout": "300s"},
    "diagnose_pending": {"memory": "1Gi", "timeout": "120s"},
    # People open the dashboard: a cold start would be their first impression.
    "dashboard": {"min_instances": 1},
}
# Targets that are no function of their own: `metrics` reports the counts of the process that serves it, and a
# function's instances count only their own requests (on functions, log-based metrics read the access lines).
NOT_DEPLOYED = frozenset({"metrics"})
# gcloud's list flags split on commas unless the value starts with `^<delimiter>^` (`gcloud topic escaping`).
_DELIMITERS = ("@", "|", "~", ";")


def targets():
    """`api` and every handler target of main.py but NOT_DEPLOYED, read from its source: importing it would open the
    database."""
    tree = ast.parse((SOURCE_ROOT / "main.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(name, "id", None) == "_ROUTES" for name in node.targets):
            handlers = (handler for _, handler in ast.literal_eval(node.value).values())
            return ["api", *(handler for handler in handlers if handler not in NOT_DEPLOYED)]
    raise RuntimeError("main.py defines no _ROUTES")


def list_flag(flag, pairs):
    """`--flag=KEY=VALUE,...`, with another delimiter when a value holds a comma."""
    items = [f"{key}={value}" for key, value in pairs]
    if not any("," in item for item in items):
        return f"{flag}={','.join(items)}"
    delimiter = next(mark for mark in _DELIMITERS if not any(mark in item for item in items))
    return f"{flag}=^{delimiter}^{delimiter.join(items)}"


def deploy_command(target, options):
    """The `gcloud functions deploy` argv for one target."""
    size = {**DEFAULT_SIZE, **TARGET_SIZES.get(target, {})}
    command = [
        "gcloud", "functions", "deploy", target.replace("_", "-"),
        "--gen2", f"--project={options.project}", f"--region={options.region}",
        f"--runtime={options.runtime}", f"--entry-point={target}", "--trigger-http",
        # The service checks its own API keys (SEDA_API_KEYS); browsers open the dashboard.
        "--allow-unauthenticated", "--source=.",
        f"--memory={size['memory']}", f"--cpu={CPU}", f"--concurrency={CONCURRENCY}",
        f"--timeout={size['timeout']}", f"--min-instances={size['min_instances']}",
    ]
    if options.connector:
        command += [f"--vpc-connector={options.connector}", "--egress-settings=private-ranges-only"]
    else:
        command.append(f"--network={options.network}")
        command += [f"--subnet={options.subnet}"] if options.subnet else []
    if options.service_account:
        command.append(f"--service-account={options.service_account}")
    if options.env:
        command.append(list_flag("--set-env-vars", options.env))
    command.append(list_flag("--set-secrets", [(name, f"{secret}:latest") for name, secret in SECRETS.items()]))
    return command


def lock_problem(root=SOURCE_ROOT):
    """Why a build of `root` would not install the pinned set; None when requirements.txt applies constraints.txt."""
    requirements = (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
    if f"-c {CONSTRAINTS}" not in requirements:
        return f"requirements.txt does not apply {CONSTRAINTS} (a line `-c {CONSTRAINTS}`)"
    if not (root / CONSTRAINTS).is_file():
        return f"{CONSTRAINTS} is missing: run `python -m tools.lock`"
    return None


def env_pair(text):
    """`KEY=VALUE` from `--env`; never a secret, which Secret Manager supplies."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    if key in SECRETS:
        raise argparse.ArgumentTypeError(f"{key} comes from Secret Manager ({SECRETS[key]}), never from --env")
    return key, value


def parse_arguments(argv):
    """The options, the targets chosen and checked (argparse exits 2 on anything wrong)."""
    parser = argparse.ArgumentParser(prog="python -m tools.deploy_gcf", description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--targets", default="all", help="comma-separated target names, or all")
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME, choices=RUNTIMES)
    egress = parser.add_mutually_exclusive_group(required=True)
    egress.add_argument("--connector", help="Serverless VPC Access connector (name or full resource path)")
    egress.add_argument("--network", help="VPC network for Direct VPC egress")
    parser.add_argument("--subnet", help="subnet for Direct VPC egress (with --network)")
    parser.add_argument("--service-account", help="runtime service account (needs secretAccessor on the secrets)")
    parser.add_argument("--env", action="append", type=env_pair, default=[], metavar="KEY=VALUE")
    parser.add_argument("--run", action="store_true", help="run the commands too")
    options = parser.parse_args(argv)
    if options.subnet and not options.network:
        parser.error("--subnet needs --network (Direct VPC egress); a connector has its own subnet")
    known = targets()
    chosen = known if options.targets == "all" else options.targets.split(",")
    unknown = [name for name in chosen if name not in known]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from all, {', '.join(known)}")
    options.targets = [name for name in known if name in chosen]  # main.py's order, each once
    return options


def main(argv=None):
    """Print, and with --run run, each target's deploy command; the exit status."""
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    problem = lock_problem()
    if problem:
        print(f"error: {problem}; the functions would install unpinned dependencies", file=sys.stderr)
        return 2
    commands = [deploy_command(target, options) for target in options.targets]
    if options.run and shutil.which("gcloud") is None:
        print("error: --run needs the gcloud CLI on PATH (https://cloud.google.com/sdk/docs/install)", file=sys.stderr)
        return 2
    for command in commands:
        print(shlex.join(command), flush=True)
        if options.run:
            status = subprocess.run(command, cwd=SOURCE_ROOT, check=False).returncode
            if status:
                return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
