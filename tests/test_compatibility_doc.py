"""docs/compatibility.md: every row cites a test that exists, and no covered name is missing."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "compatibility.md").read_text()
ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]*) \| ([^|]*) \|$")


def rows():
    section = None
    for line in DOC.splitlines():
        if line.startswith("## `"):
            section = line[4:-1]
        m = ROW.match(line)
        if m and section:
            yield section, m.group(1), m.group(2).strip(), m.group(4).strip().strip("`")


def test_every_same_row_cites_an_existing_test():
    checked = 0
    for section, name, status, test in rows():
        assert status != "untested", f"{section}.{name} has no test"
        if status != "same":
            continue
        assert test, f"{section}.{name} is marked same but cites no test"
        path, _, func = test.partition("::")
        source = (ROOT / path).read_text()
        if func:
            assert re.search(rf"^def {re.escape(func)}\(", source, re.M), test
        checked += 1
    assert checked > 300


def test_the_table_covers_every_name_the_generator_finds():
    spec = importlib.util.spec_from_file_location("make", ROOT / "docs/make_compatibility.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    listed = {(section, name) for section, name, _, _ in rows()}
    for label, module, explicit in make.NAMESPACES:
        known = make.keras_names(label)
        for name in make.public_names(module, explicit):
            if name in known:
                assert (label, name) in listed, f"{label}.{name} is missing: regenerate the doc"
