"""Makes a fixture of tests/data: a clinic's database exactly as an older mesodesk left it (its
schema, its demo clinic, its unkeyed audit chain), dumped as SQL text and gzipped.

The upgrade tests (tests/unit/test_upgrade.py) load it and let this mesodesk migrate it. It is
made by the older mesodesk's own code, never by this one pretending: run it with that version's
tree first on the path, e.g. for 0.1 (schema 0003) and for main before issue 12 (schema 0005):

    git archive 358f604 | tar -x -C /tmp/old01
    PYTHONPATH=/tmp/old01 .venv/bin/python tests/data/old_clinic.py tests/data/clinic-0003.sql.gz
    git archive a49bfc8 | tar -x -C /tmp/old05
    PYTHONPATH=/tmp/old05 .venv/bin/python tests/data/old_clinic.py tests/data/clinic-0005.sql.gz
    git archive 41b2cae | tar -x -C /tmp/old07   # main with the numbing product, before issue 12
    PYTHONPATH=/tmp/old07 .venv/bin/python tests/data/old_clinic.py tests/data/clinic-0007.sql.gz
"""

from __future__ import annotations

import gzip
import os
import sqlite3
import sys
import tempfile
from pathlib import Path


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        os.environ["MESODESK_HOME"] = work
        from mesodesk.domain.clock import FixedClock
        from mesodesk.domain.settings import ClinicSettings
        from mesodesk.services.demo import generate_demo
        from mesodesk.services.registry import Services
        from mesodesk.store.schema import HEAD_REVISION
        from tests.conftest import NOW, patient_input

        path = Path(work) / "clinic.sqlite3"
        services = Services.open(path, clock=FixedClock(NOW))
        generate_demo(services._db, 20, 4, today=NOW.date())
        services.patients.create(patient_input(first_name="Old"))
        services.patients.update(21, patient_input(first_name="Older"))
        services.settings.update(ClinicSettings(clinic_name="Clinique du Lac"))
        services.close()
        con = sqlite3.connect(path)
        try:
            dump = "\n".join(con.iterdump()) + "\n"
        finally:
            con.close()
    out.write_bytes(gzip.compress(dump.encode(), mtime=0))
    print(f"{out}: schema {HEAD_REVISION}, {len(dump):,} characters of SQL")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
