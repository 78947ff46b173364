"""Alembic migrations own the schema (issue 18, item 4): they agree with core/cohort/tables.py on SQLite and
PostgreSQL, a database made by the old `create_all` is stamped and upgraded with its data intact, replicas that
start at once never race, and `alembic upgrade head` from the repository root does what the app does."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.cohort import identity, migrate, store
from core.cohort.store import StoreError

ROOT = Path(__file__).resolve().parents[2]
LEGACY = Path(__file__).with_name("legacy_schema")
TABLES = 18


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": migrate.ours})
        return compare_metadata(ctx, store.Base.metadata)


def _version(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _legacy_database(url: str):
    """A database exactly as the old `Base.metadata.create_all` left it, with some learners' data in it."""
    engine = create_engine(url)
    ddl = (LEGACY / f"{make_url(url).get_backend_name()}.sql").read_text()
    with engine.begin() as conn:
        for stmt in ddl.split(";\n"):
            stmt = "\n".join(line for line in stmt.splitlines() if not line.startswith("--")).strip()
            if stmt:
                conn.exec_driver_sql(stmt)
        ids = []
        for name in ("Ada", "Bob", "Cy"):
            conn.execute(text("INSERT INTO learners (token_hash, display_name, cohort_code, path, created_at) "
                              "VALUES (:h, :n, 'T-1', 'B', CURRENT_TIMESTAMP)"), {"h": name * 8, "n": name})
            ids.append(conn.execute(text("SELECT id FROM learners WHERE display_name = :n"), {"n": name}).scalar())
        for learner_id in ids:
            conn.execute(text("INSERT INTO section_progress (learner_id, module_id, section_id, completed_at) "
                              "VALUES (:i, 'm01', '1.1', CURRENT_TIMESTAMP)"), {"i": learner_id})
            conn.execute(text("INSERT INTO quiz_scores (learner_id, quiz_id, score, max_score, taken_at) "
                              "VALUES (:i, 'm01', 4, 5, CURRENT_TIMESTAMP)"), {"i": learner_id})
        conn.execute(text("INSERT INTO learner_logins (subject_hash, learner_id) VALUES (:s, :i)"),
                     {"s": identity.token_hash("sso|ada"), "i": ids[0]})
    return engine, ids


def test_models_and_migrations_agree(db):
    assert _diff(db.engine) == []
    assert _version(db.engine) == migrate.head()
    assert len(set(inspect(db.engine).get_table_names()) - {"alembic_version"}) == TABLES


def test_sqlite_learner_ids_autoincrement(tmp_path):
    s = store.open_store(f"sqlite:///{tmp_path / 'course.db'}")
    with s.engine.connect() as conn:
        ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'learners'").scalar()
    assert "AUTOINCREMENT" in ddl
    s.engine.dispose()


def test_an_old_create_all_database_is_stamped_and_upgraded_with_its_data(db_url):
    engine, (ada, bob, cy) = _legacy_database(db_url)
    assert _version(engine) is None
    s = store.open_store(db_url)
    assert _version(s.engine) == migrate.head() and _diff(s.engine) == []
    with s.engine.connect() as conn:
        stamped = conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar()
    assert stamped == 1
    assert [s.learner(i).display_name for i in (ada, bob, cy)] == ["Ada", "Bob", "Cy"]
    uids = {s.learner(i).uid for i in (ada, bob, cy)}
    assert len(uids) == 3 and all(len(u) == 32 for u in uids)
    for i in (ada, bob, cy):  # rebuilding the learners table on SQLite must not cascade into their data
        assert s.completed_sections(i) == {"m01": {"1.1"}} and s.best_quiz_scores(i) == {"m01": 0.8}
    assert s.learner_for_login("sso|ada", "Ada").id == ada
    s.delete_learner(cy)
    newcomer, _ = s.create_learner("Dee")
    assert newcomer.id > cy and newcomer.uid not in uids
    ada_uid = s.learner(ada).uid
    s.engine.dispose()
    again = store.open_store(db_url)  # opening an up-to-date database changes nothing
    assert again.learner(ada).uid == ada_uid and again.learner(newcomer.id).display_name == "Dee"
    again.engine.dispose()
    engine.dispose()


def test_the_initial_revision_is_the_old_create_all_schema(db_url, tmp_path):
    """Migration 0001 alone builds exactly what the old create_all built (compared table by table)."""
    legacy, _ = _legacy_database(db_url)
    old = {t: (sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspect(legacy).get_columns(t)),
               sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                      for i in inspect(legacy).get_indexes(t)),
               sorted((tuple(u["column_names"])) for u in inspect(legacy).get_unique_constraints(t)),
               sorted((f["referred_table"], tuple(f["constrained_columns"]), f["options"].get("ondelete"))
                      for f in inspect(legacy).get_foreign_keys(t)))
           for t in inspect(legacy).get_table_names()}
    legacy.dispose()
    url = f"sqlite:///{tmp_path / 'initial.db'}" if db_url.startswith("sqlite") else None
    if url is None:  # PostgreSQL: rebuild in the same database
        with create_engine(db_url).begin() as conn:
            for t in old:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t} CASCADE")
        url = db_url
    migrate.upgrade(url, migrate.INITIAL)
    fresh = create_engine(url)
    new = {t: (sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspect(fresh).get_columns(t)),
               sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                      for i in inspect(fresh).get_indexes(t)),
               sorted((tuple(u["column_names"])) for u in inspect(fresh).get_unique_constraints(t)),
               sorted((f["referred_table"], tuple(f["constrained_columns"]), f["options"].get("ondelete"))
                      for f in inspect(fresh).get_foreign_keys(t)))
           for t in inspect(fresh).get_table_names() if t != "alembic_version"}
    fresh.dispose()
    assert new == old


def test_replicas_starting_at_once_migrate_once(db_url):
    errors, stores = [], []
    start = threading.Barrier(4)

    def replica():
        try:
            start.wait()
            stores.append(store.open_store(db_url))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(stores) == 4
    assert _version(stores[0].engine) == migrate.head() and _diff(stores[0].engine) == []
    for s in stores:
        s.engine.dispose()


def test_a_database_from_a_newer_release_is_refused(db):
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    with pytest.raises(StoreError, match="newer"):
        store.open_store(db.engine.url.render_as_string(hide_password=False))


def test_the_documented_command_upgrades_a_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = subprocess.run([sys.executable, "-m", "alembic", "-x", f"url={url}", "upgrade", "head"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    engine = create_engine(url)
    assert _version(engine) == migrate.head() and _diff(engine) == []
    engine.dispose()


def test_a_failed_migration_leaves_the_database_as_it_was(db_url, monkeypatch):
    engine, (ada, _, _) = _legacy_database(db_url)
    real_run = migrate._run

    def run_then_fail(context, conn):
        real_run(context, conn)
        raise RuntimeError("power cut")

    monkeypatch.setattr(migrate, "_run", run_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate.upgrade(db_url)
    assert _version(engine) is None and "uid" not in {c["name"] for c in inspect(engine).get_columns("learners")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM section_progress WHERE learner_id = :i"), {"i": ada}).scalar()
    engine.dispose()


def test_an_old_database_missing_later_tables_gets_them(db_url):
    engine, (ada, _, _) = _legacy_database(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE challenge_votes")
        conn.exec_driver_sql("DROP TABLE neuron_findings")
    engine.dispose()
    s = store.open_store(db_url)
    assert _version(s.engine) == migrate.head() and _diff(s.engine) == []
    assert s.completed_sections(ada) == {"m01": {"1.1"}} and s.neuron_findings(ada) == []
    s.engine.dispose()


def test_initial_tables_names_what_revision_0001_creates(tmp_path):
    url = f"sqlite:///{tmp_path / 'initial.db'}"
    migrate.upgrade(url, migrate.INITIAL)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == migrate.INITIAL_TABLES
    engine.dispose()


def test_autogenerate_leaves_the_job_engines_queue_tables_alone(tmp_path):
    """With PostgreSQL as the broker, Huey's queue tables live in the course database; a migration generated
    there must neither drop them nor count them as drift."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE huey_task (id INTEGER PRIMARY KEY, data BLOB)"))
    try:
        assert _diff(engine) == []
    finally:
        engine.dispose()
