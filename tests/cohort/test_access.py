from core.cohort import access


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
