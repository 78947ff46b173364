import logging

import pytest

from core.cohort import access


@pytest.fixture
def access_log():
    """Records of the "rnn_course.access" logger, caught on the logger itself (it may not propagate to root)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("rnn_course.access")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_no_configuration_lets_everyone_learn_and_nobody_teach():
    config = access.from_secrets({}, {})
    assert config.email_allowed("anyone@example.org") and config.join_code_ok(None) and config.join_code_ok("X")
    assert not config.is_instructor_email("anyone@example.org")
    assert not config.key_ok("") and not config.key_ok("guess")
    assert not config.oidc


def test_allow_list_takes_emails_and_domains_case_insensitively():
    config = access.from_secrets({"allowed": ["Ada@Uni.edu", "@corp.example"]}, {})
    assert config.email_allowed("ada@uni.edu")
    assert config.email_allowed("bob@CORP.example")
    assert not config.email_allowed("bob@uni.edu")
    assert not config.email_allowed("mallory@corp.example.evil.com")
    assert not config.email_allowed(None) and not config.email_allowed("no-at-sign")


def test_instructors_and_key():
    config = access.from_secrets({"instructors": "Teacher@Uni.edu", "instructor_key": " s3cret-key-long "}, {})
    assert config.is_instructor_email("teacher@uni.edu")
    assert not config.is_instructor_email("student@uni.edu")
    assert config.key_ok("s3cret-key-long") and not config.key_ok("s3cret")


def test_join_codes_are_case_insensitive_and_required_when_set():
    config = access.from_secrets({"join_codes": ["spring-2026"]}, {})
    assert config.join_code_ok("SPRING-2026") and config.join_code_ok(" spring-2026 ")
    assert not config.join_code_ok("") and not config.join_code_ok("FALL-2026")


def test_oidc_is_detected_from_the_auth_section():
    assert access.from_secrets({}, {"client_id": "x", "redirect_uri": "y"}).oidc
    assert access.from_secrets({}, {"google": {"client_id": "x"}, "redirect_uri": "y"}).oidc
    assert not access.from_secrets({}, {}).oidc


def test_a_cohort_change_needs_a_join_code_when_they_are_configured():
    config = access.from_secrets({"join_codes": ["spring-2026"]}, {})
    assert config.may_join("spring-2026") and config.may_join(None) and config.may_join("")  # empty: leave
    assert not config.may_join("TEAM-1") and not config.may_join("FALL-2026")
    assert access.from_secrets({}, {}).may_join("ANY-CODE")


def test_a_learner_belongs_only_to_a_code_the_course_accepts():
    config = access.from_secrets({"join_codes": ["spring-2026"]}, {})
    assert config.belongs_to("SPRING-2026") and not config.belongs_to("TEAM-1") and not config.belongs_to(None)
    assert access.from_secrets({}, {}).belongs_to("TEAM-1")


def test_the_instructor_key_is_compared_without_a_length_or_prefix_oracle(monkeypatch):
    seen = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(access.hmac, "compare_digest", lambda a, b: seen.append((len(a), len(b))) or real(a, b))
    config = access.from_secrets({"instructor_key": "s3cret-key-long"}, {})
    for guess in ("s", "s3cret-key-lon", "s3cret-key-long-and-more", "s3cret-key-long"):
        config.key_ok(guess)
    assert len({lengths for lengths in seen}) == 1, seen  # equal-length digests, whatever the guess


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_throttle_allows_a_few_failures_then_waits_longer_and_longer():
    clock = Clock()
    t = access.Throttle(free=5, base=2.0, cap=60.0, forget=3600.0, clock=clock)
    for _ in range(4):
        assert t.fail() == 0.0 and t.wait() == 0.0
    assert t.fail() == 2.0 and t.wait() == 2.0  # the 5th failure starts the backoff
    clock.now += 2.0
    assert t.wait() == 0.0
    assert t.fail() == 4.0
    clock.now += 4.0
    assert t.fail() == 8.0
    for _ in range(10):
        clock.now += 60.0
        t.fail()
    assert t.wait() == 60.0  # capped
    t.reset()
    assert t.wait() == 0.0 and t.fail() == 0.0


def test_throttle_forgets_old_failures():
    clock = Clock()
    t = access.Throttle(free=2, base=1.0, cap=60.0, forget=100.0, clock=clock)
    t.fail(), t.fail()
    assert t.wait() == 1.0
    clock.now += 101.0
    assert t.wait() == 0.0 and t.fail() == 0.0


def test_key_attempts_are_throttled_per_session_and_per_process_and_logged(access_log):
    clock = Clock()
    config = access.from_secrets({"instructor_key": "right-key-0123456789"}, {})
    process = access.Throttle(free=8, base=1.0, cap=60.0, forget=900.0, clock=clock)
    first = access.Throttle(free=5, base=2.0, cap=900.0, forget=3600.0, clock=clock)
    for _ in range(4):
        assert access.check_instructor_key(config, "guess-xyz", first, process) == access.KeyCheck(False, 0.0)
    assert access.check_instructor_key(config, "guess-xyz", first, process) == access.KeyCheck(False, 2.0)
    # locked: even the right key is not looked at until the wait is over
    locked = access.check_instructor_key(config, "right-key-0123456789", first, process)
    assert locked.ok is False and locked.locked and locked.wait == 2.0
    messages = [r.getMessage() for r in access_log]
    assert sum("wrong instructor key" in m for m in messages) == 5 and any("locked" in m for m in messages)
    assert all(r.levelno == logging.WARNING for r in access_log)
    assert not any("guess-xyz" in m or "right-key" in m for m in messages), "never the typed key"
    # a fresh session does not escape the process-wide count
    second = access.Throttle(free=5, base=2.0, cap=900.0, forget=3600.0, clock=clock)
    clock.now += 10.0
    for _ in range(3):
        access.check_instructor_key(config, "guess-xyz", second, process)
    assert process.wait() == 1.0
    assert access.check_instructor_key(config, "right-key-0123456789", second, process).ok is False
    clock.now += 1.0
    assert access.check_instructor_key(config, "right-key-0123456789", second, process) == access.KeyCheck(True, 0.0)
