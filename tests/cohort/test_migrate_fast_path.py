"""Opening a database that is at the newest revision already (every start but the first after a release) takes one
plain SQL query and does not import Alembic (issue 19, cold start); anything else still goes through Alembic."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from core.cohort import migrate, store

ROOT = Path(__file__).resolve().parents[2]

OPEN = """
import sys
from core.cohort import store
s = store.open_store(sys.argv[1])
print(sorted(s.completed_sections(1)), "alembic" in sys.modules)
"""


def test_the_heads_read_from_the_migration_files_are_alembics():
    assert migrate.script_heads() == {migrate.head()}


def test_an_up_to_date_database_opens_without_alembic(db):
    url = db.engine.url.render_as_string(hide_password=False)
    assert migrate.up_to_date(url)
    done = subprocess.run([sys.executable, "-c", OPEN, url], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["[]", "False"]


def test_an_empty_or_older_database_is_migrated(db_url):
    assert migrate.stored_heads(db_url) is None and not migrate.up_to_date(db_url)
    migrate.upgrade(db_url, migrate.INITIAL)
    assert migrate.stored_heads(db_url) == {migrate.INITIAL} and not migrate.up_to_date(db_url)
    s = store.open_store(db_url)
    assert migrate.stored_heads(db_url) == {migrate.head()} and migrate.up_to_date(db_url)
    s.engine.dispose()


def test_a_database_that_cannot_be_read_goes_the_alembic_way(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert migrate.stored_heads(f"sqlite:///{junk}") is None  # Alembic then reports the driver's error


def test_a_merge_revision_counts_both_parents(tmp_path, monkeypatch):
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, body in {"a": 'revision = "a"\ndown_revision = None\n',
                       "b": 'revision: str = "b"\ndown_revision = "a"\n',
                       "c": 'revision = "c"\ndown_revision = "a"\n',
                       "m": 'revision = "m"\ndown_revision = ("b", "c")\n'}.items():
        (versions / f"{name}.py").write_text(body)
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    migrate.script_heads.cache_clear()
    try:
        assert migrate.script_heads() == {"m"}
        (versions / "d.py").write_text('revision = "d"\ndown_revision = "c"\n')
        migrate.script_heads.cache_clear()
        assert migrate.script_heads() == {"m", "d"}
    finally:
        migrate.script_heads.cache_clear()


def test_the_fast_path_reads_without_writing(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store.open_store(url).engine.dispose()
    engine = create_engine(url)
    with engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA data_version").scalar()
        assert migrate.up_to_date(url)
        after = conn.exec_driver_sql("PRAGMA data_version").scalar()
    engine.dispose()
    assert before == after
