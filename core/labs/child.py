"""Trusted bootstrap of the learner-code sandbox: the only code that runs in the child before the learner's.

core/labs/grader.py starts it as `python -I -B child.py run PROTO_FD` (one child per submission) or
`... zygote CTRL_FD` (a fork-server that imports numpy once and forks one child per submission). Either way a
child reads one job (code + test inputs, JSON) from fd 0, locks itself down, runs the learner's code and writes
JSON lines to fd 3. It computes only; the server grades. Stdlib and numpy only: this file is not on sys.path.
"""

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # numpy must start no helper threads: the child may create none after lock-down

import base64  # noqa: E402
import builtins  # noqa: E402
import ctypes  # noqa: E402
import errno  # noqa: E402
import inspect  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import linecache  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402

try:
    import resource
except ImportError:  # Windows: no rlimits
    resource = None
try:
    import pyseccomp
except Exception:  # not installed, or libseccomp missing: that layer is reported as absent
    pyseccomp = None

PROTO_FD = 3
APP_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILENAME = "<your code>"
DTYPES = frozenset(np.dtype(t).str for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"))
MAX_JOB_BYTES = 8 << 20
MAX_ITEMS = 100_000
LINUX = sys.platform.startswith("linux")

# Syscalls that fail with EPERM once locked down (an allow-by-default list, so a new kernel call still works).
DENIED_SYSCALLS = (
    "fork vfork clone clone3 execve execveat "  # no new processes or threads, no other programs
    "socket socketpair connect bind listen accept accept4 "  # no network, no local sockets
    "kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo pidfd_open pidfd_send_signal pidfd_getfd "
    "setpgid setpgrp setsid "  # stay in the process group the server kills (it kills by pid and pidfd too)
    "ptrace process_vm_readv process_vm_writev process_madvise kcmp perf_event_open "  # no peeking at others
    "setrlimit prlimit64 setuid setgid setreuid setregid setresuid setresgid setgroups capset "
    "chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat utime utimes utimensat futimesat "
    "setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr "  # metadata is outside Landlock's reach
    "memfd_create memfd_secret shmget shmat shmctl msgget msgsnd msgrcv semget semop semtimedop mq_open "
    "mount umount2 pivot_root chroot unshare setns bpf userfaultfd keyctl add_key request_key personality "
    "io_uring_setup io_uring_enter io_uring_register migrate_pages move_pages uselib sysfs"
).split()
FCNTL_DENIED = (8, 10, 15)  # F_SETOWN, F_SETSIG, F_SETOWN_EX: I/O signals aimed at another process

# Landlock (linux/landlock.h)
LL_CREATE, LL_ADD_RULE, LL_RESTRICT = 444, 445, 446
LL_FS_BITS = {1: 13, 2: 14, 3: 15, 4: 15, 5: 16}  # ABI -> number of filesystem access bits it handles
LL_READ = (1 << 2) | (1 << 3)  # READ_FILE | READ_DIR


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True) if LINUX else None


class TestTimeout(BaseException):
    """Raised inside learner code when a test runs past its budget (a BaseException: `except Exception` in
    learner code does not swallow it; a bare `except:` can, which is why the server also keeps a deadline)."""


# ---------------------------------------------------------------- lock-down layers

def readable_paths() -> list:
    """The Python installation and site-packages (never the app itself, whatever sys.path says), system libs."""
    root = APP_ROOT.rstrip(os.sep) + os.sep
    paths = []
    for p in list(sys.path) + ["/usr/lib", "/lib", "/lib64", "/usr/lib64"]:
        p = os.path.abspath(p) if p else ""
        if not p or not os.path.isdir(p):
            continue
        inside_app = (p + os.sep).startswith(root)
        above_app = root.startswith(p.rstrip(os.sep) + os.sep)
        if above_app or (inside_app and "site-packages" not in p):
            continue
        paths.append(p)
    return paths


def landlock_ruleset():
    """Build a ruleset fd: read the Python installation only, write nothing, no TCP, no signals out."""
    if not LINUX:
        return None, "not Linux"
    sysc = _libc.syscall
    sysc.restype = ctypes.c_long
    abi = sysc(ctypes.c_long(LL_CREATE), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return None, f"kernel has no Landlock ({os.strerror(ctypes.get_errno())})"
    fs_all = (1 << LL_FS_BITS.get(abi, 16)) - 1
    attr = _RulesetAttr(fs_all, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    fd = sysc(ctypes.c_long(LL_CREATE), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        return None, f"landlock_create_ruleset failed ({os.strerror(ctypes.get_errno())})"
    for path in readable_paths():
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        rule = _PathBeneath(LL_READ, pfd)
        sysc(ctypes.c_long(LL_ADD_RULE), ctypes.c_int(fd), ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0))
        os.close(pfd)
    return (fd, abi), None


def seccomp_filter():
    if pyseccomp is None:
        return None, "pyseccomp/libseccomp not installed"
    try:
        flt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        deny = pyseccomp.ERRNO(errno.EPERM)
        for name in DENIED_SYSCALLS:
            try:
                flt.add_rule(deny, name)
            except (ValueError, OSError):
                pass  # not a syscall on this architecture
        flt.add_rule(deny, "mmap", pyseccomp.Arg(3, pyseccomp.MASKED_EQ, 1, 1))  # MAP_SHARED escapes RLIMIT_DATA
        for cmd in FCNTL_DENIED:
            flt.add_rule(deny, "fcntl", pyseccomp.Arg(1, pyseccomp.EQ, cmd))
        return flt, None
    except Exception as exc:  # noqa: BLE001 (report, never crash the bootstrap)
        return None, f"seccomp filter failed: {exc}"


def drop_capabilities() -> bool:
    """A root child keeps uid 0 (the interpreter may live in root's home) but loses every capability."""
    if not LINUX or os.geteuid() != 0:
        return False

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    data = (ctypes.c_uint32 * 6)()
    for cap in range(64):  # the bounding set too, so nothing can bring them back
        _libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP
    _libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    return _libc.capset(ctypes.byref(Header(0x20080522, 0)), data) == 0


def lock_down(limits: dict, prebuilt) -> dict:
    """Apply every layer available here, strongest last; returns what is active (shown on the page)."""
    layers = {}
    if resource is not None:
        cpu = int(limits["cpu_s"]) + 1
        data = int(limits["data_mb"]) << 20
        for name, value in (("RLIMIT_CPU", (cpu, cpu + 1)), ("RLIMIT_DATA", (data, data)),
                            ("RLIMIT_FSIZE", (1 << 20, 1 << 20)), ("RLIMIT_NOFILE", (16, 16)),
                            ("RLIMIT_NPROC", (0, 0)), ("RLIMIT_CORE", (0, 0))):
            try:
                resource.setrlimit(getattr(resource, name), value)
                layers[name] = True
            except (AttributeError, ValueError, OSError):
                layers[name] = False
    if LINUX:
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the process that started us
        _libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
        layers["capabilities_dropped"] = drop_capabilities()
        layers["no_new_privs"] = _libc.prctl(38, 1, 0, 0, 0) == 0
        ruleset, seccomp = prebuilt
        if ruleset[0] is not None:
            fd, abi = ruleset[0]
            ok = _libc.syscall(ctypes.c_long(LL_RESTRICT), ctypes.c_int(fd), ctypes.c_uint32(0)) == 0
            os.close(fd)
            layers["landlock"] = f"ABI {abi}" if ok else f"failed ({os.strerror(ctypes.get_errno())})"
        else:
            layers["landlock"] = f"absent: {ruleset[1]}"
        if seccomp[0] is not None:
            try:
                seccomp[0].load()
                layers["seccomp"] = True
            except OSError as exc:
                layers["seccomp"] = f"failed: {exc}"
        else:
            layers["seccomp"] = f"absent: {seccomp[1]}"
    return layers


# ---------------------------------------------------------------- JSON codec (arrays as dtype + shape + base64)

_b64encode, _b64decode, _dumps, _loads = base64.b64encode, base64.b64decode, json.dumps, json.loads
_ndarray, _generic, _asarray = np.ndarray, np.generic, np.ascontiguousarray


def encode(value, depth: int = 0):
    if depth > 6:
        return {"t": "unsupported", "type": "nesting deeper than 6 levels"}
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool or kind is np.bool_:
        return {"t": "bool", "v": bool(value)}
    if kind is int or (isinstance(value, _generic) and value.dtype.kind in "iu"):
        v = int(value)
        return {"t": "int", "v": v} if -(1 << 63) <= v < (1 << 64) else {"t": "unsupported", "type": "huge int"}
    if kind is float or (isinstance(value, _generic) and value.dtype.kind == "f"):
        return {"t": "float", "v": float(value).hex()}
    if kind is str:
        return {"t": "str", "v": value[:2000]}
    if kind is _ndarray:
        if value.dtype.str not in DTYPES:
            return {"t": "unsupported", "type": f"array of dtype {value.dtype}"}
        if value.size > 4_000_000:
            return {"t": "unsupported", "type": f"array with {value.size} elements"}
        arr = _asarray(value)
        return {"t": "array", "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": _b64encode(arr.tobytes()).decode("ascii")}
    if kind in (list, tuple):
        if len(value) > MAX_ITEMS:
            return {"t": "unsupported", "type": f"{kind.__name__} of {len(value)} items"}
        return {"t": kind.__name__, "v": [encode(v, depth + 1) for v in value]}
    if kind is dict:
        if len(value) > 200 or not all(type(k) is str for k in value):
            return {"t": "unsupported", "type": "dict (keys must be at most 200 strings)"}
        return {"t": "dict", "v": {k[:100]: encode(v, depth + 1) for k, v in value.items()}}
    return {"t": "unsupported", "type": kind.__name__[:80]}


def decode(obj):
    """Inputs from the server (trusted), plus a seeded random generator when a test asks for one."""
    t = obj["t"]
    if t == "array":
        arr = np.frombuffer(_b64decode(obj["data"]), dtype=np.dtype(obj["dtype"])).reshape(obj["shape"])
        return arr.copy()
    if t == "rng":
        return np.random.default_rng(obj["seed"])
    if t == "float":
        return float.fromhex(obj["v"])
    if t in ("list", "tuple"):
        items = [decode(v) for v in obj["v"]]
        return items if t == "list" else tuple(items)
    if t == "dict":
        return {k: decode(v) for k, v in obj["v"].items()}
    return None if t == "none" else obj["v"]


# ---------------------------------------------------------------- running the job

def send(message: dict) -> None:
    send_line(_dumps(message, separators=(",", ":")))


def send_line(line: str) -> None:
    data = (line + "\n").encode()
    while data:
        data = data[os.write(PROTO_FD, data):]


def _timeout(kind: str):
    def handler(signum, frame):
        raise TestTimeout(kind)
    return handler


def arm(cpu_s: float, wall_s: float) -> None:
    signal.signal(signal.SIGPROF, _timeout("cpu"))
    signal.signal(signal.SIGALRM, _timeout("wall"))
    signal.setitimer(signal.ITIMER_PROF, cpu_s)
    signal.setitimer(signal.ITIMER_REAL, wall_s)


def disarm() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def describe(exc: BaseException) -> dict:
    """Type, message and the learner's own frames only (never this file's path)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == FILENAME]
    lines = [f"line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames[-4:]]
    info = {"type": type(exc).__name__[:80], "message": str(exc)[:600], "trace": lines}
    if isinstance(exc, SyntaxError):
        info.update(line=exc.lineno, col=exc.offset, text=(exc.text or "").rstrip()[:200])
    return info


def summary(value) -> str:
    """A few words on what a value is, for a result too large to send back."""
    if type(value) is _ndarray:
        return f"an array of shape {tuple(value.shape)}"
    if type(value) in (list, tuple, dict):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"[:80]


def run_tests(job: dict, fn, total_end: float) -> None:
    """Each test within its own budget and within what is left of the run's total wall-clock budget."""
    timeouts, max_timeouts = 0, job.get("max_timeouts", 2)
    for test in job["tests"]:
        left = total_end - time.monotonic()
        if timeouts >= max_timeouts or left <= 0.01:
            send({"id": test["id"], "skipped": "timeouts" if timeouts >= max_timeouts else "total"})
            continue
        wall = min(test["wall_s"], left)
        start = time.perf_counter()
        try:
            arm(test["cpu_s"], wall)
            args = [decode(a) for a in test["args"]]
            values = [fn(*args)]
            for _ in range(test.get("repeat", 1) - 1):
                args = fresh_args(test, args)
                values.append(fn(*args))
            value = values[0] if test.get("repeat", 1) == 1 else values
            line = _dumps({"id": test["id"], "ok": True, "value": encode(value),
                           "ms": (time.perf_counter() - start) * 1e3}, separators=(",", ":"))
            if len(line) > test.get("max_bytes", MAX_JOB_BYTES):  # the server would stop reading: say so instead
                line = _dumps({"id": test["id"], "oversize": len(line), "kind": summary(values[0])})
            disarm()
            send_line(line)
        except TestTimeout as exc:
            disarm()
            timeouts += 1
            kind = str(exc.args[0]) if exc.args else "cpu"
            send({"id": test["id"], "timeout": "total" if kind == "wall" and wall < test["wall_s"] else kind})
        except BaseException as exc:  # noqa: BLE001 (SystemExit and friends are learner errors here)
            disarm()
            send({"id": test["id"], "ok": False, "error": describe(exc)})


def fresh_args(test: dict, previous: list) -> list:
    """New copies of the inputs for each repeat (code that edits its inputs in place must not drift),
    the same random generator throughout."""
    return [p if isinstance(p, np.random.Generator) else decode(a) for p, a in zip(previous, test["args"], strict=True)]


def run_job(prebuilt) -> None:
    chunks, size = [], 0
    while True:
        chunk = os.read(0, 1 << 16)
        if not chunk or size > MAX_JOB_BYTES:
            break
        chunks.append(chunk)
        size += len(chunk)
    job = _loads(b"".join(chunks))
    total_end = time.monotonic() + job.get("total_wall_s", 3600.0)
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)  # fd 0: input() gets EOF, not the job
    layers = lock_down(job["limits"], prebuilt)
    send({"event": "sandbox", "layers": layers})
    if job.get("require_seccomp") and layers.get("seccomp") is not True:
        return  # without it, one os.kill(-1, 9) could take the server down: run nothing
    code = job["code"]
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    namespace = {"__name__": "__lab__", "__builtins__": builtins}
    try:
        arm(job["load_cpu_s"], max(0.01, min(job["load_wall_s"], total_end - time.monotonic())))
        exec(compile(code, FILENAME, "exec"), namespace)  # noqa: S102 (this is the sandbox)
        disarm()
    except TestTimeout as exc:
        disarm()
        send({"event": "loaded", "ok": False, "timeout": str(exc.args[0]) if exc.args else "cpu"})
        return
    except BaseException as exc:  # noqa: BLE001
        disarm()
        send({"event": "loaded", "ok": False, "error": describe(exc)})
        return
    fn = namespace.get(job["entry"])
    defined = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("__"))[:20]
    if not callable(fn):
        send({"event": "loaded", "ok": False, "missing": job["entry"], "defined": defined})
        return
    try:
        params = list(inspect.signature(fn).parameters)[:20]
    except (TypeError, ValueError):
        params = None
    send({"event": "loaded", "ok": True, "params": params})
    run_tests(job, fn, total_end)
    send({"event": "done"})


def child_main(prebuilt) -> None:
    """Common tail of both modes: stdout/stderr are the output pipe, fd 3 the result channel."""
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  write_through=True)
    sys.stderr = sys.stdout
    sys.stdin = io.TextIOWrapper(io.FileIO(os.open(os.devnull, os.O_RDONLY), "r"))
    code = 0
    try:
        run_job(prebuilt)
    except BaseException:  # noqa: BLE001 (a broken job or channel: the server reports the early exit)
        code = 70
    os._exit(code)


def zygote(ctrl_fd: int) -> None:
    """Fork-server: numpy and the lock-down layers are prepared once; each request forks a fresh child."""
    import fcntl as _fcntl
    import select
    import socket

    ctrl = socket.socket(fileno=ctrl_fd)
    ruleset, seccomp = landlock_ruleset(), seccomp_filter()
    if ruleset[0] is not None:  # park the ruleset fd far from 0-3, which each child's pipes take over
        high = _fcntl.fcntl(ruleset[0][0], _fcntl.F_DUPFD_CLOEXEC, 900)
        os.close(ruleset[0][0])
        ruleset = ((high, ruleset[0][1]), None)
    ctrl.send(_dumps({"ready": True, "pid": os.getpid()}).encode())
    children = set()  # forked, not yet reaped: the server may still signal them by pid
    dropped = set()  # killed at the server's reap request but not yet dead: reaped here, in passing
    # poll(), not select(): the channel keeps the number it had in the server, which may be 1024 or more (a server
    # with many open files), and select() raises ValueError for those: the fork-server died at its first dropped child.
    channel = select.poll()
    channel.register(ctrl, select.POLLIN)
    while True:
        if dropped:
            ready = channel.poll(500)
            for pid in list(dropped):
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:
                        dropped.discard(pid)
                except ChildProcessError:
                    dropped.discard(pid)
            if not ready:
                continue
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 4096, 3)
        except OSError:
            break
        if not msg:
            break
        req = _loads(msg)
        if req["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                try:
                    os.setpgid(0, 0)
                    os.chdir(req["cwd"])
                    high = [_fcntl.fcntl(fd, _fcntl.F_DUPFD, 200) for fd in fds]  # clear of 0-3 first
                    for target, fd in zip((0, PROTO_FD, 1), high, strict=True):
                        os.dup2(fd, target)
                    os.dup2(1, 2)
                    keep = {0, 1, 2, PROTO_FD} | ({ruleset[0][0]} if ruleset[0] else set())
                    _close_all_but(keep)  # the control socket (whatever its number) and the received originals
                    child_main((ruleset, seccomp))
                finally:
                    os._exit(71)
            try:
                os.setpgid(pid, pid)  # also here, so the server's killpg can never miss the child
            except OSError:
                pass
            for fd in fds:
                os.close(fd)
            children.add(pid)
            ctrl.send(_dumps({"pid": pid}).encode())
        elif req["op"] == "reap":  # never blocks: one child must not hold up everyone's channel
            pid = req["pid"]
            status = None
            if pid in children:
                children.discard(pid)
                try:
                    done, raw = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done, raw = -1, 0
                if done == pid:
                    status = os.waitstatus_to_exitcode(raw)
                elif done == 0:
                    _kill(pid)
                    dropped.add(pid)
            ctrl.send(_dumps({"pid": pid, "status": status}).encode())
    for pid in children | dropped:  # the server went away: take every child with us
        _kill(pid)
    os._exit(0)


def _close_all_but(keep: set) -> None:
    """Close every descriptor not in `keep`, however high (close_range where the kernel has it)."""
    try:
        top = max(os.sysconf("SC_OPEN_MAX"), 1024)
    except (AttributeError, ValueError, OSError):
        top = 1 << 16
    low = 0
    for fd in sorted(keep) + [max(top, max(keep) + 1)]:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1


def _kill(pid: int) -> None:
    """By pid and by process group (the child cannot leave its group under seccomp, but may try elsewhere)."""
    for send_signal in (os.kill, os.killpg):
        try:
            send_signal(pid, signal.SIGKILL)
        except OSError:
            pass


def main() -> None:
    mode, fd = sys.argv[1], int(sys.argv[2])
    if mode == "zygote":
        if LINUX:
            _libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: children cannot read this process either
        zygote(fd)
    else:
        os.dup2(fd, PROTO_FD)
        if fd != PROTO_FD:
            os.close(fd)
        for extra in range(PROTO_FD + 1, 256):
            try:
                os.close(extra)
            except OSError:
                pass
        child_main((landlock_ruleset(), seccomp_filter()))


if __name__ == "__main__":
    main()
