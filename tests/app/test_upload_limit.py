"""Upload labels state the limit the server enforces: one constant (core.jobs.uploads.MAX_MB), also the
widget's own limit, and the same number as server.maxUploadSize in .streamlit/config.toml."""

import tomllib

from streamlit.testing.v1 import AppTest

from core.jobs import uploads
from tests.app.conftest import ROOT


def test_the_server_limit_and_the_upload_constant_agree():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == uploads.MAX_BYTES // 2**20


def test_the_upload_label_states_the_enforced_limit(learner):
    at = AppTest.from_file("training_app.py", default_timeout=60)
    at.session_state["fixture-learner"] = learner[0].id
    at.run()
    widget = at.get("file_uploader")[0]
    limit = uploads.MAX_BYTES // 2**20
    assert f"up to {limit} MB" in widget.proto.label
    assert widget.proto.max_upload_size_mb == limit
