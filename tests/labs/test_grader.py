"""The sandbox contains hostile and broken submissions: each gets a clear message, the server stays alive, and no
process or file is left behind. The lab used here is `double(x) -> 2 * x`."""


import logging
import os
import socket
import threading
import time

import numpy as np
import psutil
import pytest

from core.labs import codec as sandbox_codec
from core.labs import grader, sandbox
from core.labs.grader import Test
from tests.labs.sandbox_kit import GOOD, QUICK, ROOT, SECRET, TESTS, X, assert_clean, double_ok, messages, run


def test_good_code_passes_and_reports_layers(sb):
    report = run(sb, GOOD)
    assert report.status == "graded" and report.passed == 2, messages(report)
    if sandbox.LINUX:
        assert report.layers["RLIMIT_DATA"] is True
        assert report.mode == "fork-server"


def test_sandbox_kills_infinite_loop_in_function(sb):
    t = time.monotonic()
    report = run(sb, "def double(x):\n    while True:\n        pass\n")
    assert report.passed == 0
    assert "ran out of CPU time" in report.results[0].message
    assert time.monotonic() - t < 5


def test_sandbox_kills_infinite_loop_at_import(sb):
    report = run(sb, "while True:\n    pass\ndef double(x):\n    return 2 * x\n")
    assert report.status == "load_error"
    assert "did not finish loading" in report.message


def test_loop_that_swallows_timeouts_is_stopped_by_the_server(sb):
    code = """
    def double(x):
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    """
    report = run(sb, code)
    assert report.passed == 0
    # Whichever limit fires first (the server's wall-clock deadline or the CPU-time rlimit) stops it.
    stopped = ("did not stop when its time was up", "CPU-time limit")
    assert any(s in report.results[0].message for s in stopped), report.results[0].message
    assert "not run" in report.results[1].message or any(s in report.results[1].message for s in stopped)


def test_sleep_forever_is_a_wall_clock_timeout(sb):
    report = run(sb, "import time\ndef double(x):\n    time.sleep(10**6)\n")
    assert "ran out of wall-clock time" in report.results[0].message


def test_ignoring_sigalrm_does_not_escape_the_deadline(sb):
    code = """
    import signal, time
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    def double(x):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(10**6)
    """
    report = run(sb, code)
    assert "did not stop when its time was up" in report.results[0].message


@pytest.mark.parametrize("alloc", ["np.zeros(50 * 10**9 // 8)", "bytearray(50 * 10**9)", "mmap.mmap(-1, 50 * 10**9)"])
def test_huge_allocation_fails_with_memory_error(sb, alloc):
    report = run(sb, f"import mmap\nimport numpy as np\ndef double(x):\n    return {alloc}\n")
    assert "MemoryError" in report.results[0].message or "PermissionError" in report.results[0].message


def test_slow_memory_creep_is_stopped(sb):
    code = """
    import time
    def double(x):
        keep = []
        while True:
            keep.append(bytearray(20 * 10**6))
            time.sleep(0.005)
    """
    report = run(sb, code, [Test("creeps", (X,), check=double_ok, cpu_s=3, wall_s=6)])
    assert report.passed == 0
    assert "MemoryError" in report.results[0].message or "memory" in report.results[0].message


def test_fork_bomb_cannot_fork(sb):
    report = run(sb, "import os\ndef double(x):\n    while True:\n        os.fork()\n")
    assert "PermissionError" in report.results[0].message or "BlockingIOError" in report.results[0].message


def test_multiprocessing_pool_cannot_start(sb):
    code = """
    import multiprocessing
    def double(x):
        with multiprocessing.Pool(2) as pool:
            return pool.map(abs, [1, 2])
    """
    report = run(sb, code)
    assert report.passed == 0 and report.results[0].message.startswith("raised")


def test_os_system_and_subprocess_cannot_run_programs(sb, tmp_path):
    marker = tmp_path / "ran"
    code = f"""
    import os, subprocess
    def double(x):
        os.system("touch {marker}")
        subprocess.run(["touch", "{marker}"])
        return 2 * x
    """
    report = run(sb, code)
    assert report.passed == 0 and "PermissionError" in report.results[0].message
    assert not marker.exists()


def test_thread_bomb_cannot_start_threads(sb):
    code = """
    import threading, time
    def double(x):
        for _ in range(10_000):
            threading.Thread(target=time.sleep, args=(100,)).start()
    """
    report = run(sb, code)
    assert "RuntimeError" in report.results[0].message


@pytest.mark.parametrize("how", ["print('x' * 10**6)", "os.write(1, b'x' * 65536)", "os.write(2, b'x' * 65536)"])
def test_printing_a_gigabyte_is_cut_off(sb, how):
    report = run(sb, f"import os\ndef double(x):\n    for _ in range(20_000):\n        {how}\n")
    assert "printed more than 1 MB" in report.results[0].message
    assert len(report.output) <= sandbox.Limits().output_keep and report.output_truncated


def test_writing_a_10_gb_file_is_refused(sb):
    code = """
    def double(x):
        with open("big.bin", "wb") as fh:
            fh.seek(10 * 2**30)
            fh.write(b"x")
        return 2 * x
    """
    report = run(sb, code)
    assert report.passed == 0
    assert "PermissionError" in report.results[0].message or "SIGXFSZ" in report.results[0].message


@pytest.mark.parametrize("target", [".streamlit/secrets.toml", ".streamlit/config.toml", "core/labs/exercises/rnn.py",
                                    "core/labs/grader.py", "Home.py"])
def test_reading_secrets_hidden_tests_and_app_source_is_refused(sb, target, tmp_path):
    path = ROOT / target
    if not path.exists():  # no secrets file in a checkout: plant one outside the Python installation
        path = tmp_path / target
        path.parent.mkdir(parents=True)
        path.write_text('password = "hunter2"\n')
    report = run(sb, f"def double(x):\n    return open({str(path)!r}).read()\n")
    msg = report.results[0].message
    if sandbox.LINUX:
        assert "PermissionError" in msg, msg
    else:
        assert report.passed == 0


def test_environment_is_empty_of_server_secrets(sb):
    report = run(sb, "import os\ndef double(x):\n    print(sorted(os.environ.items()))\n    return 2 * x\n")
    assert report.passed == 2
    assert "hunter2" not in report.output and SECRET not in report.output


def test_socket_to_localhost_is_refused(sb):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.2)
        port = server.getsockname()[1]
        code = f"""
        import socket
        def double(x):
            socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"hi")
            return 2 * x
        """
        report = run(sb, code)
        with pytest.raises(TimeoutError):
            server.accept()
    assert report.passed == 0 and "PermissionError" in report.results[0].message


@pytest.mark.parametrize("target", ["os.getppid()", "-1", "0"])
def test_kill_signals_cannot_leave_the_sandbox(sb, target):
    zygote = sb._forkserver.pid if sb._forkserver else None
    report = run(sb, f"import os\ndef double(x):\n    os.kill({target}, 9)\n    return 2 * x\n")
    assert report.passed == 0
    assert "PermissionError" in report.results[0].message
    if zygote:
        assert sb._forkserver.pid == zygote  # the fork-server is still the same, alive process
    assert run(sb, GOOD).passed == 2  # and still serves


def test_sys_exit_before_the_tests(sb):
    report = run(sb, "import sys\nsys.exit(0)\n")
    assert report.status == "load_error" and "sys.exit()" in report.message
    report = run(sb, "import os\nos._exit(0)\n")
    assert report.status == "load_error" and "ended the sandbox" in report.message


def test_forged_passed_lines_do_not_count(sb):
    code = """
    import os
    print('{"id": "t0", "ok": true, "value": {"t": "none"}}')
    print("PASSED 2/2")
    def double(x):
        return x
    """
    assert run(sb, code).passed == 0
    forged = 'import os\nos.write(3, b\'{"event": "done"}\\n\')\ndef double(x):\n    return 2 * x\n'
    report = run(sb, forged)
    assert report.passed == 0
    assert "tampered" in messages(report)


def test_monkey_patched_numpy_cannot_pass(sb):
    code = """
    import numpy as np
    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    def double(x):
        return x + 1
    """
    report = run(sb, code)
    assert report.passed == 0 and "values differ" in report.results[0].message


def test_syntax_error_names_the_line(sb):
    report = run(sb, "def double(x)\n    return 2 * x\n")
    assert report.status == "load_error"
    assert "SyntaxError on line 1" in report.message and "def double(x)" in report.detail


def test_missing_function_lists_what_was_defined(sb):
    report = run(sb, "def doubel(x):\n    return 2 * x\n")
    assert report.status == "load_error"
    assert "no function named `double`" in report.message and "doubel" in report.message


def test_wrong_signature_names_the_expected_one(sb):
    report = run(sb, "def double(x, y):\n    return 2 * x\n")
    assert "Keep the signature from the starter code: double(x)" in report.results[0].message
    assert "takes (x, y)" in report.warning


@pytest.mark.parametrize("ret,expect", [("x.T", "expected an array of shape"), ("None", "expected an array"),
                                        ("x * np.nan", "values differ"), ("object()", "cannot read")])
def test_wrong_returns_fail_with_a_message(sb, ret, expect):
    report = run(sb, f"import numpy as np\ndef double(x):\n    return {ret}\n")
    assert report.passed == 0 and expect in report.results[0].message


def test_recursion_blow_up_is_contained(sb):
    report = run(sb, "def double(x):\n    return double(x)\n")
    assert "RecursionError" in report.results[0].message
    deep = "import sys\nsys.setrecursionlimit(10**7)\ndef double(x, n=0):\n    return double(x, n + 1)\n"
    report = run(sb, deep)
    assert report.passed == 0
    msg = report.results[0].message
    contained = ("crashed", "RecursionError", "MemoryError", "did not stop", "ended the sandbox early")
    assert any(s in msg for s in contained), msg


def test_deleting_files_outside_or_in_the_working_dir_is_refused(sb, tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    code = f"""
    import os, shutil
    def double(x):
        for name in os.listdir("."):
            os.remove(name)
        os.remove({str(victim)!r})
        shutil.rmtree({str(ROOT / "core")!r})
        return 2 * x
    """
    report = run(sb, code)
    assert report.passed == 0
    assert victim.read_text() == "precious" and (ROOT / "core" / "labs" / "grader.py").exists()


def test_chmod_of_app_files_is_refused(sb):
    report = run(sb, f"import os\ndef double(x):\n    os.chmod({str(ROOT / 'Home.py')!r}, 0o777)\n")
    assert "PermissionError" in report.results[0].message
    assert (ROOT / "Home.py").stat().st_mode & 0o777 != 0o777


def test_each_test_has_its_own_budget(sb):
    code = """
    import numpy as np
    def double(x):
        if x[0, 0] == 99:
            while True:
                pass
        return 2 * x
    """
    hang = X.copy()
    hang[0, 0] = 99
    tests = [Test("hangs", (hang,), check=lambda v: None, **QUICK)] + TESTS
    report = run(sb, code, tests)
    assert [r.passed for r in report.results] == [False, True, True]


def test_one_sandbox_per_learner_a_second_run_waits_behind_others_and_a_third_is_refused(sb):
    slow = "import time\ndef double(x):\n    time.sleep(0.8)\n    return 2 * x\n"
    one = [Test("doubles, taking its time", (X,), check=double_ok, cpu_s=0.2, wall_s=2.0)]
    got: dict = {}

    def submit(name: str, code: str) -> None:
        got[name] = grader.grade(code, "double", one, learner="ada")

    workers = [threading.Thread(target=submit, args=("first", slow)), threading.Thread(target=submit, args=("second", GOOD))]
    for worker in workers:
        worker.start()
        time.sleep(0.15)
    third = grader.grade(GOOD, "double", TESTS, learner="ada")  # ada has one running and one waiting already
    assert third.status == "busy" and "your place in line: 1" in third.message, third.message
    bob = grader.grade(GOOD, "double", TESTS, learner="bob")  # arrives after ada's second run, graded before it
    assert bob.status == "graded" and bob.passed == 2 and "second" not in got
    for worker in workers:
        worker.join()
    assert got["first"].passed == 1 and got["second"].passed == 1
    assert got["second"].wait_seconds > 0.2  # it waited for ada's first run, though a sandbox was free
    assert grader.grade("#" * (grader.MAX_CODE_BYTES + 1), "double", TESTS, learner="ada").status == "too_large"


def test_many_submissions_at_once_are_all_graded(sb):
    reports: list = []
    threads = [threading.Thread(target=lambda i=i: reports.append(grader.grade(GOOD, "double", TESTS, learner=f"l{i}")))
               for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 12 and all(r.passed == 2 for r in reports)
    assert_clean(sb)


def test_strict_decoding_rejects_forged_arrays():
    good = sandbox_codec.encode_input(np.ones((2, 2)))
    assert np.array_equal(sandbox_codec.decode_output(good), np.ones((2, 2)))
    for bad in [{**good, "shape": [3, 3]}, {**good, "dtype": "|O"}, {**good, "data": good["data"][:-4]},
                {**good, "data": "!!!!" + good["data"][4:]}, {**good, "extra": 1}, {"t": "pickle", "v": "gASV"},
                {"t": "float", "v": 1.5}, [1, 2]]:
        with pytest.raises(sandbox_codec.ProtocolError):
            sandbox_codec.decode_output(bad)


@pytest.mark.slow
@pytest.mark.parametrize("code,expect", [
    ("def double(x):\n    while True:\n        pass\n", "ran out of CPU time"),
    ("import os\ndef double(x):\n    os.kill(os.getppid(), 9)\n", "PermissionError"),
    ("import os\ndef double(x):\n    os.fork()\n", "PermissionError"),
    ("def double(x):\n    return open('/etc/hostname').read()\n", "PermissionError"),
])
def test_spawn_mode_is_contained_too(code, expect):
    box = sandbox.Sandbox("spawn")
    old, grader._sandbox = grader._sandbox, box
    try:
        report = grader.grade(code, "double", TESTS, learner="tester")
    finally:
        grader._sandbox = old
        box.close()
    assert expect in report.results[0].message
    assert not [p for p in psutil.Process().children(recursive=True) if " run " in " ".join(p.cmdline()) + " "]


def test_a_dead_fork_server_is_replaced_on_the_next_run(sb):
    if sb._forkserver is None:
        pytest.skip("spawn mode on this platform")
    old = sb._forkserver.pid
    os.kill(old, 9)
    psutil.Process(old).wait(5)
    assert run(sb, GOOD).passed == 2
    assert sb._forkserver.pid not in (None, old)


def test_a_child_without_seccomp_is_refused_before_any_learner_code_runs(caplog):
    result = sandbox.RunResult(outcomes={})
    attempt = sandbox._Attempt(None, [], sandbox.Limits(), result, bytearray())
    attempt.require_seccomp = True
    attempt.handle({"event": "sandbox", "layers": {"seccomp": "absent: pyseccomp/libseccomp not installed"}})
    assert attempt.phase == "finished" and result.load.kind == "refused"
    with caplog.at_level(logging.ERROR, logger="rnn_course.labs"):
        report = grader._report(result, "double", TESTS, [], ("x",), sandbox.Limits(), ())
    # The learner sees a plain message; the operator's instruction goes to the log (and to grader.notices()).
    assert report.status == "unavailable"
    assert report.message == "Code labs are unavailable on this server right now; your instructor has been told."
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "rnn_course.labs")
    assert "libseccomp2" in logged and "RNN_COURSE_ALLOW_WEAK_SANDBOX=1" in logged
    assert any("libseccomp2" in n.text for n in grader.notices())
