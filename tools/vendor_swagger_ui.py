"""Vendor the Swagger UI viewer of the reference page: `python -m tools.vendor_swagger_ui VERSION`.

Fetches the npm package `swagger-ui-dist` at VERSION with `npm pack` (the npm registry's own
client, which checks the tarball's integrity) and copies into `functions/static/swagger-ui/`
only what `GET /api/v1/docs` serves — the bundle and the stylesheet — with the package's
LICENSE, NOTICE, the bundle's third-party licence list and package.json (its version). The
service then needs no CDN and no network: the files are part of the repository.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "swagger-ui-dist"
DESTINATION = pathlib.Path(__file__).resolve().parent.parent / "functions" / "static" / "swagger-ui"
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "LICENSE",
    "NOTICE",
    "swagger-ui-bundle.js.LICENSE.txt",
    "package.json",
)


def main(argv=None):
    """Pack VERSION from the registry and replace the vendored files with its own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help=f"the {PACKAGE} version, e.g. 5.35.0")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        packed = subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{args.version}", "--json", "--pack-destination", scratch],
            capture_output=True, text=True, check=False,
        )
        if packed.returncode != 0:
            parser.error(f"npm pack failed: {packed.stderr.strip()[-500:]}")
        (tarball,) = json.loads(packed.stdout)
        with tarfile.open(pathlib.Path(scratch) / tarball["filename"]) as archive:
            DESTINATION.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                member = archive.extractfile(f"package/{name}")
                (DESTINATION / name).write_bytes(member.read())
    print(f"vendored {PACKAGE} {tarball['version']} ({tarball['integrity']}) into {DESTINATION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
