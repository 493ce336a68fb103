"""The schema revision this mesodesk brings a database to, in a module light enough for the
first moments of start-up (no SQLAlchemy, no Alembic). A test checks that it is the head of the
migration scripts."""

HEAD_REVISION = "0006"  # the chain: 0001 ... 0005, 0007, 0008, 0006 (see 0006_integrity.py)
