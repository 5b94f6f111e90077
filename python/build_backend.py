"""A minimal PEP 517 backend: builds the wheel of tensor_attention with the standard library alone, so that
`pip install ./python` works without an index. The wheel carries the library's shaded jar (built first when
the checkout has none), so the installed package needs no checkout."""

import base64
import hashlib
import importlib.util
import os
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "tensor_attention"


def _project():
    text = (HERE / "pyproject.toml").read_text()
    field = lambda key: re.search(rf'^{key} = "([^"]*)"', text, re.M).group(1)
    deps = re.findall(r'"([^"]+)"', re.search(r"^dependencies = \[(.*)\]", text, re.M).group(1))
    return field("name"), field("version"), field("description"), field("requires-python"), deps


def _jar():
    # The runtime's own staleness check and build, loaded alone: importing the package would start a JVM.
    spec = importlib.util.spec_from_file_location("_ta_jvm", PACKAGE / "_jvm.py")
    _jvm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(_jvm)
    root = HERE.parent
    jar = root / "cli" / "target" / "tensor-attention.jar"
    if _jvm._stale(root, jar):
        _jvm.build(root)
    return jar


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version, summary, python, deps = _project()
    dist = name.replace("-", "_")
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        files[f"tensor_attention/{path.relative_to(PACKAGE).as_posix()}"] = path.read_bytes()
    files["tensor_attention/lib/tensor-attention.jar"] = _jar().read_bytes()
    info = f"{dist}-{version}.dist-info"
    meta = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}",
            "License: Apache-2.0", f"Requires-Python: {python}"] + [f"Requires-Dist: {d}" for d in deps]
    meta += ["Provides-Extra: torch", 'Requires-Dist: torch; extra == "torch"']
    files[f"{info}/METADATA"] = ("\n".join(meta) + "\n\n" + (HERE / "README.md").read_text()).encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: build_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/LICENSE"] = (HERE.parent / "LICENSE").read_bytes()
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)
    return wheel


def get_requires_for_build_wheel(config_settings=None):
    return []
