#!/usr/bin/env python3
"""Checks deploy/Dockerfile and deploy/docker-compose.yml on this Debian 12
machine, which has no container engine, by running what can be run here:

- both stages start from Debian 12 (bookworm) images; the runtime stage runs as
  a non-root user and installs no compiler or -dev package;
- every package each stage's `apt-get install` names exists for this Debian
  (apt-cache policy has a candidate), and the very same install resolves
  (`apt-get install --simulate --no-install-recommends ...`);
- the build stage installs the -dev packages of deps/debian-packages.txt,
  builds the three binaries and copies them;
- every shared library the built binaries load (ldd) belongs (dpkg -S) to a
  package the runtime stage installs, to one of their dependencies, or to the
  base image (Essential packages and apt, with their dependencies);
- the compose file is valid (`docker-compose config` when installed, else a
  YAML parse) and has PostgreSQL, an orchestrator and two workers, with health
  checks that use commands the images have.

Usage: check_dockerfile.py REPO_DIR BINARY...   Exit 0: all good; 1: failures
(listed); 77: a tool this needs is missing (ctest reports a skip).
"""
import os
import re
import shutil
import subprocess
import sys

SKIP = 77
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def run(argv, timeout=120):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def stages(dockerfile_text):
    """{stage name: (base image, [instructions with continuations joined])}."""
    joined = re.sub(r"\\\n", " ", dockerfile_text)
    result, name = {}, None
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if m:
            name = m.group(2) or m.group(1)
            result[name] = (m.group(1), [])
        elif name:
            result[name][1].append(line)
    return result


def installed_packages(instructions):
    """The package names of every `apt-get install` in a stage's RUN lines."""
    packages = []
    for line in instructions:
        for command in re.split(r"&&|;", line):
            words = command.split()
            if "apt-get" not in words or "install" not in words:
                continue
            after = words[words.index("install") + 1:]
            packages += [w for w in after if not w.startswith("-") and "=" not in w]
    return packages


def has_candidate(package):
    out = run(["apt-cache", "policy", package]).stdout
    m = re.search(r"Candidate:\s*(\S+)", out)
    return m is not None and m.group(1) != "(none)"


def dependency_closure(packages):
    """What apt installs for `packages` (Depends and Pre-Depends, recursively)."""
    out = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
               "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + packages,
              timeout=300).stdout
    names = set()
    for line in out.splitlines():
        if line and not line.startswith(" ") and not line.startswith("<"):
            names.add(line.split(":")[0])
        m = re.match(r"\s+\|?(?:Pre)?Depends:\s+(\S+)", line)
        if m and not m.group(1).startswith("<"):
            names.add(m.group(1).split(":")[0])
    return names


def base_image_packages():
    """An approximation of debian:bookworm-slim: Essential packages and apt."""
    out = run(["dpkg-query", "-W", "-f", "${Package} ${Essential}\n"]).stdout
    essential = [l.split()[0] for l in out.splitlines() if l.endswith(" yes")]
    return dependency_closure(essential + ["apt"])


def loaded_libraries(binary):
    """The resolved paths of the shared libraries `binary` loads (ldd)."""
    out = run(["ldd", binary])
    if out.returncode != 0:
        fail(f"ldd {binary}: {out.stderr.strip()}")
        return []
    paths = []
    for line in out.stdout.splitlines():
        if "not found" in line:
            fail(f"{os.path.basename(binary)}: {line.strip()}")
            continue
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:  # else linux-vdso
            paths.append(os.path.realpath(m.group(1)))
    return paths


def owners(paths):
    """{path: package} from one `dpkg -S` call; with merged /usr, dpkg may know a
    library under /lib rather than /usr/lib."""
    queries = {}
    for path in paths:
        queries[path] = path
        queries[path.replace("/usr/lib/", "/lib/", 1)] = path
    out = run(["dpkg", "-S"] + sorted(queries)).stdout
    result = {}
    for line in out.splitlines():
        package, _, path = line.partition(": ")
        if path in queries:
            result[queries[path]] = package.split(":")[0].split(",")[0].strip()
    for path in paths:
        if path not in result:
            fail(f"no package owns {path}")
    return result


def check_stages(text):
    found = stages(text)
    if set(found) != {"build", "runtime"}:
        fail(f"expected stages build and runtime, found {sorted(found)}")
        return [], []
    for name, (image, _) in found.items():
        if not re.match(r"debian:bookworm(-slim)?$", image):
            fail(f"stage {name} starts from {image}; expected debian:bookworm or bookworm-slim")
    build, runtime = found["build"][1], found["runtime"][1]
    users = [l.split()[1] for l in runtime if l.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        fail(f"runtime stage runs as {users[-1] if users else 'root'}; expected a non-root USER")
    build_text = " ".join(build)
    for binary in ("baton-orchestrator", "baton-worker", "baton"):
        if not re.search(rf"--target[^&]*\b{re.escape(binary)}\b", build_text):
            fail(f"the build stage does not build {binary}")
        if not re.search(rf"cp [^&]*/{re.escape(binary)}\s", build_text):
            fail(f"the build stage does not copy {binary} to /out")
    return installed_packages(build), installed_packages(runtime)


def check_build_deps(repo, build):
    """The build stage installs every -dev package the project builds with."""
    with open(os.path.join(repo, "deps", "debian-packages.txt")) as f:
        listed = [l.split("#")[0].strip() for l in f]
    test_only = {"libgtest-dev", "libgmock-dev"}
    for package in listed:
        if package.endswith("-dev") and package not in test_only and package not in build:
            fail(f"the build stage does not install {package} (deps/debian-packages.txt)")


def check_packages(stage, packages):
    if not packages:
        fail(f"stage {stage}: no apt-get install found")
        return
    for p in packages:
        if not has_candidate(p):
            fail(f"stage {stage}: package {p} does not exist for this Debian (apt-cache policy)")
    sim = run(["apt-get", "install", "--simulate", "--no-install-recommends", "-q"] + packages,
              timeout=300)
    if sim.returncode != 0:
        fail(f"stage {stage}: apt-get install --simulate failed:\n{sim.stdout}{sim.stderr}")
    print(f"stage {stage}: {len(packages)} packages exist and resolve")


def check_runtime_libraries(runtime, binaries):
    runtime_dev = [p for p in runtime if p.endswith("-dev") or p in ("build-essential", "g++")]
    if runtime_dev:
        fail(f"runtime stage installs build packages: {runtime_dev}")
    covered = dependency_closure(runtime) | base_image_packages()
    loads = {binary: loaded_libraries(binary) for binary in binaries}
    package_of = owners(sorted({p for paths in loads.values() for p in paths}))
    for binary, paths in loads.items():
        name = os.path.basename(binary)
        missing = sorted({package_of[p] for p in paths if package_of.get(p, "?") not in covered})
        for pkg in missing:
            libs = [os.path.basename(p) for p in paths if package_of.get(p) == pkg]
            fail(f"{name} loads {', '.join(libs)} from {pkg}, "
                 "which the runtime stage does not install")
        print(f"{name}: {len(paths)} libraries from "
              f"{len({package_of.get(p) for p in paths})} packages, checked")


def compose_file(repo):
    path = os.path.join(repo, "deploy", "docker-compose.yml")
    if shutil.which("docker-compose"):
        out = run(["docker-compose", "-f", path, "config"], timeout=60)
        if out.returncode != 0:
            fail(f"docker-compose config: {out.stderr.strip()}")
            return None
        text = out.stdout
        print("docker-compose config: valid")
    else:
        with open(path) as f:
            text = f.read()
    import yaml
    return yaml.safe_load(text)


def check_compose(repo, runtime):
    config = compose_file(repo)
    if config is None:
        return
    services = config.get("services", {})
    missing = [name for name in ("postgres", "orchestrator", "worker") if name not in services]
    if missing:
        fail(f"compose: no service {', '.join(missing)}")
        return
    if not services["postgres"].get("image", "").endswith("bookworm"):
        fail("compose: postgres is not a Debian 12 (bookworm) image")
    replicas = services["worker"].get("deploy", {}).get("replicas")
    if replicas != 2:
        fail(f"compose: {replicas} worker replicas; expected 2")
    for name in ("postgres", "orchestrator"):
        test = services[name].get("healthcheck", {}).get("test")
        if not test:
            fail(f"compose: {name} has no health check")
    probe = services["orchestrator"]["healthcheck"]["test"]
    if probe[:2] != ["CMD", "baton"] or "health" not in probe:
        fail(f"compose: the orchestrator's health check is {probe}; expected `baton ... health`")
    conditions = services["worker"].get("depends_on", {})
    if conditions.get("orchestrator", {}).get("condition") != "service_healthy":
        fail("compose: workers do not wait for a healthy orchestrator")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    for tool in ("apt-cache", "apt-get", "dpkg", "dpkg-query", "ldd"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed")
            return SKIP
    if not any(f.endswith("_Packages") or "_Packages." in f
               for f in os.listdir("/var/lib/apt/lists")):
        print("SKIP: no apt package lists (run apt-get update)")
        return SKIP
    repo, binaries = sys.argv[1], sys.argv[2:]
    with open(os.path.join(repo, "deploy", "Dockerfile")) as f:
        build, runtime = check_stages(f.read())
    check_build_deps(repo, build)
    check_packages("build", build)
    check_packages("runtime", runtime)
    check_runtime_libraries(runtime, binaries)
    check_compose(repo, runtime)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
