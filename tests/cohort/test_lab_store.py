"""Lab attempts are stored per learner: latest code comes back, the summary counts attempts and solves, and
nothing leaks between learners or survives deleting a learner."""


def test_lab_attempts_are_saved_summarised_and_scoped_per_learner(db):
    ada, _ = db.create_learner("Ada")
    bob, _ = db.create_learner("Bob")
    assert db.latest_lab_code(ada.id, "rnn_step") is None and db.lab_summary(ada.id) == {}
    db.save_lab_attempt(ada.id, "rnn_step", "v1", 2, 6, "{}")
    db.save_lab_attempt(ada.id, "rnn_step", "v2", 6, 6, "{}")
    db.save_lab_attempt(ada.id, "softmax", "s1", 1, 6, "{}")
    db.save_lab_attempt(bob.id, "rnn_step", "bob's", 0, 6, "{}")
    assert db.latest_lab_code(ada.id, "rnn_step") == "v2"
    assert db.latest_lab_code(bob.id, "rnn_step") == "bob's"
    summary = db.lab_summary(ada.id)
    assert summary["rnn_step"].attempts == 2 and summary["rnn_step"].best_passed == 6 and summary["rnn_step"].solved
    assert not summary["softmax"].solved and set(summary) == {"rnn_step", "softmax"}
    assert db.lab_summary(bob.id)["rnn_step"].attempts == 1


def test_lab_attempts_are_exported_and_deleted_with_the_learner(db):
    ada, _ = db.create_learner("Ada")
    db.save_lab_attempt(ada.id, "train_loop", "code", 1, 2, "{}")
    assert db.export_learner(ada.id)["lab_attempts"][0]["code"] == "code"
    db.delete_learner(ada.id)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from lab_attempts").scalar() == 0
