#!/usr/bin/env python3
"""Fails when a source file includes a header of a layer it may not use.

The layering is the table in doc/architecture.md: each library may include
only the libraries listed for it in ALLOWED (its own folder included), and
only compute/torch may include torch headers. Run by CTest as `layering`.
"""
import pathlib
import re
import sys

# folder -> folders whose headers it may include. Keep in step with
# doc/architecture.md, which states the same table for people.
ALLOWED = {
    "chain": {"chain"},
    "compute": {"chain", "compute"},
    "compute/torch": {"chain", "compute", "compute/torch"},
    "consensus": {"chain", "compute", "consensus"},
    "validation": {"chain", "compute", "consensus", "validation"},
    "wallet": {"chain", "consensus", "wallet"},
    "net": {"chain", "compute", "consensus", "validation", "net"},
    "rpc": {"chain", "rpc"},
    "node/common": {"chain", "compute", "consensus", "rpc", "node/common"},
    "node/client": {"chain", "compute", "consensus", "validation", "net", "rpc", "node/common",
                    "node/client"},
    "node": {"chain", "compute", "compute/torch", "consensus", "validation", "wallet", "net",
             "rpc", "node/common", "node"},
}
# Third-party headers that mark a layer: (pattern, folders allowed to use it).
MARKERS = [
    (re.compile(r"^(torch|ATen|c10)/"), {"compute/torch"}),
    (re.compile(r"^(boost/asio|boost/beast)"), {"net", "rpc", "node/client"}),
    (re.compile(r"^nlohmann/"), {"rpc", "node/common", "node/client", "node"}),
]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def folder_of(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = path.relative_to(root).parts[:-1]
    for depth in (2, 1):
        name = "/".join(parts[:depth])
        if name in ALLOWED:
            return name
    return ""


def layer_of_header(header: str) -> str:
    parts = header.split("/")[:-1]
    for depth in (2, 1):
        name = "/".join(parts[:depth])
        if name in ALLOWED:
            return name
    return ""


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    errors = []
    checked = 0
    for top in ("chain", "compute", "consensus", "validation", "wallet", "net", "rpc", "node"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in (".h", ".cpp") or "bin" in path.relative_to(root).parts:
                continue
            folder = folder_of(path, root)
            checked += 1
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                kind, header = match.groups()
                where = f"{path.relative_to(root)}:{number}"
                if kind == '"':
                    layer = layer_of_header(header)
                    if layer and layer not in ALLOWED[folder]:
                        errors.append(f"{where}: {folder}/ may not include {header}")
                    continue
                for pattern, allowed in MARKERS:
                    if pattern.match(header) and folder not in allowed:
                        errors.append(f"{where}: {folder}/ may not include <{header}>")
    for error in errors:
        print(error)
    print(f"layering: {checked} files checked, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
