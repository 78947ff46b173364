"""A learner id or uid never comes back after deletion (issue 17, item 4): files, jobs and caches keyed by them must
not reach the next sign-up. On SQLite the rowid of a deleted highest row is reused unless the table is AUTOINCREMENT."""

import re

from core.cohort import store


def test_a_deleted_learners_id_and_uid_never_come_back(db):
    first, _ = db.create_learner("Ada")
    db.delete_learner(first.id)
    second, _ = db.create_learner("Eve")
    assert second.id != first.id and second.id > first.id
    assert second.uid != first.uid


def test_a_deleted_sso_learners_id_and_uid_never_come_back(db):
    first = db.learner_for_login("sso|ada", "Ada")
    db.delete_learner(first.id)
    second = db.learner_for_login("sso|ada", "Ada")
    assert (second.id, second.uid) != (first.id, first.uid) and second.id > first.id


def test_ids_are_not_reused_after_a_restart(db_url):
    first = store.open_store(db_url)
    a, _ = first.create_learner("A")
    b, _ = first.create_learner("B")
    first.delete_learner(b.id)
    first.engine.dispose()
    second = store.open_store(db_url)
    c, _ = second.create_learner("C")
    assert c.id > b.id and c.uid not in {a.uid, b.uid}
    second.engine.dispose()


def test_uid_is_random_hex_stable_and_unique(db):
    learners = [db.create_learner(f"L{i}") for i in range(20)]
    uids = {rec.uid for rec, _ in learners}
    assert len(uids) == 20 and all(re.fullmatch(r"[0-9a-f]{32}", u) for u in uids)
    rec, token = learners[3]
    assert db.find_learner(token).uid == rec.uid == db.learner(rec.id).uid
    assert db.learner_for_login("sso|x", "X").uid not in uids
