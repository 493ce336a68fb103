"""The schema revision this mesodesk brings a database to, in a module light enough for the
first moments of start-up (no SQLAlchemy, no Alembic). A test checks that it is the head of the
migration scripts."""

HEAD_REVISION = "0007"
