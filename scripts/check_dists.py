"""Check built distributions before they are published (``nox -s build`` runs it after twine check).

    python scripts/check_dists.py DIR [NAME ...]

For each package (the NAMEs, else every one in DIR): a wheel and an sdist of the same version;
the wheel's metadata complete (a license expression and its file, classifiers with
``Typing :: Typed``, Homepage/Repository/Issues URLs, a Markdown readme, a summary); a
``py.typed`` marker in each of its top-level packages; and for a plugin (a wheel with ``massgen``
entry points) a ``massgen-core`` range that admits the massgen-core wheel built beside it. Prints
one line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import configparser
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

CORE = "massgen-core"
URLS = ("Homepage", "Repository", "Issues")


def wheel_problems(wheel: Path, core_version: Version | None) -> list[str]:
    problems = []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        metadata: Message = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        entry_points = configparser.ConfigParser(delimiters=("=",))
        if f"{info}/entry_points.txt" in names:
            entry_points.read_string(archive.read(f"{info}/entry_points.txt").decode())
    if not metadata.get("License-Expression"):
        problems.append("no License-Expression")
    for license_file in metadata.get_all("License-File") or ["(none declared)"]:
        if f"{info}/licenses/{license_file}" not in names:
            problems.append(f"license file {license_file} is not in the wheel")
    classifiers = metadata.get_all("Classifier") or []
    if "Typing :: Typed" not in classifiers or not any(
        c.startswith("Programming Language") for c in classifiers
    ):
        problems.append(f"classifiers incomplete: {classifiers}")
    urls = {url.split(",")[0].strip() for url in metadata.get_all("Project-URL") or []}
    problems += [f"no {label} project URL" for label in URLS if label not in urls]
    if metadata.get("Description-Content-Type") != "text/markdown" or len(metadata.get_payload()) < 200:
        problems.append("no Markdown readme (Description-Content-Type text/markdown and a body)")
    if not metadata.get("Summary"):
        problems.append("no Summary")
    packages = {n.split("/")[0] for n in names if "/" in n and not n.split("/")[0].endswith(".dist-info")}
    problems += [
        f"no {package}/py.typed" for package in sorted(packages) if f"{package}/py.typed" not in names
    ]
    if entry_points.has_section("massgen"):
        problems += plugin_problems(metadata, core_version)
    return problems


def plugin_problems(metadata: Message, core_version: Version | None) -> list[str]:
    wanted = [
        Requirement(line)
        for line in metadata.get_all("Requires-Dist") or []
        if canonicalize_name(Requirement(line).name) == CORE
    ]
    if len(wanted) != 1 or not wanted[0].specifier:
        return [f"a plugin must declare one range of {CORE} (e.g. {CORE}>=0.1,<0.2), found {wanted}"]
    specifier = wanted[0].specifier
    if not any(spec.operator in ("<", "<=", "~=", "==") for spec in specifier):
        problems = [f"{CORE}{specifier} has no upper bound: the next plugin API could break it"]
    else:
        problems = []
    if core_version is not None and not specifier.contains(core_version, prereleases=True):
        problems.append(f"{CORE}{specifier} excludes the {CORE} {core_version} built beside it")
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[0])
    wheels = {parse_wheel_filename(w.name)[0]: w for w in folder.glob("*.whl")}
    sdists = {parse_sdist_filename(s.name)[0]: s for s in folder.glob("*.tar.gz")}
    expected = [canonicalize_name(n) for n in argv[1:]] or sorted(wheels.keys() | sdists.keys())
    core = wheels.get(canonicalize_name(CORE))
    core_version = parse_wheel_filename(core.name)[1] if core else None
    problems = []
    for name in expected:
        if name not in wheels or name not in sdists:
            problems.append(
                f"{name}: a wheel and an sdist are needed, found {wheels.get(name)}, {sdists.get(name)}"
            )
            continue
        if parse_wheel_filename(wheels[name].name)[1] != parse_sdist_filename(sdists[name].name)[1]:
            problems.append(f"{name}: the wheel and the sdist have different versions")
        problems += [f"{wheels[name].name}: {p}" for p in wheel_problems(wheels[name], core_version)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(expected)} packages checked in {folder}: {', '.join(expected)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
