"""Watching the SQLite file while the app runs: deleted, replaced or corrupted under a running server, it is found
before the next transaction, every later call raises StoreError with a message for learners, and the log says what
happened, once. An SQLite connection keeps writing into a deleted (unlinked) file without an error, and a new
connection would silently create an empty database, so the store must look for itself.

Each check is an open, fstat and 100-byte read: about 20 µs here under load, against about 1 ms for the lightest
read transaction (tests/cohort/test_faults.py keeps it under a quarter of one), so it runs before every transaction
rather than on a timer that would let a write or two slip into a deleted file."""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

from core import logs
from core.cohort.errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER = 100

log = logs.get("store")

# SQLite files this process has opened: one that vanishes is reported, never created again (until a restart).
_opened: set[Path] = set()
_opened_lock = threading.Lock()
# One read-only descriptor per database file (inode) this process watches, shared by every watch of it and closed
# only when the last watch is gone: closing ANY descriptor of a SQLite file drops every POSIX lock this process
# holds on it (SQLite's own locks included), so a check must never open-and-close the file.
_fds: dict[tuple[int, int], list[int]] = {}  # (dev, ino) -> [fd, watches]


def _acquire(path: Path, identity: tuple[int, int]) -> int:
    with _opened_lock:
        held = _fds.get(identity)
        if held is None:
            held = _fds[identity] = [os.open(path, os.O_RDONLY), 0]
        held[1] += 1
        return held[0]


def _release(identity: tuple[int, int]) -> None:
    with _opened_lock:
        held = _fds.get(identity)
        if held is not None:
            held[1] -= 1
            if held[1] <= 0:
                del _fds[identity]
                os.close(held[0])

LEARNER_MESSAGE = ("The course database {what} while the app was running, so nothing can be saved or shown right "
                   "now. Your instructor has been told (in the server log). Please try again later.")


def header_problem(head: bytes) -> str | None:
    """What is wrong with an SQLite file's first 100 bytes, or None (an empty file is a new database)."""
    if not head:
        return None
    if len(head) < HEADER or not head.startswith(SQLITE_MAGIC):
        return "its header is not SQLite's"
    page = int.from_bytes(head[16:18], "big")
    if not (page == 1 or (512 <= page <= 32768 and page & (page - 1) == 0)):
        return f"its page size field is invalid ({page})"
    if head[21:24] != b"\x40\x20\x20":  # payload fractions, fixed by the file format
        return "its payload fractions are invalid"
    return None


def was_opened(path: Path) -> bool:
    with _opened_lock:
        return path.resolve() in _opened


class SqliteWatch:
    """The identity (device, inode) and header of one SQLite file, checked before each transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        st = path.stat()
        self.identity = (st.st_dev, st.st_ino)
        self.failure: str | None = None
        self._lock = threading.Lock()
        self._fd = _acquire(path, self.identity)
        weakref.finalize(self, _release, self.identity)
        with _opened_lock:
            _opened.add(path.resolve())

    def _problem(self) -> tuple[str, str] | None:
        """(what learners are told, what the log says), or None when the file is still ours and sound."""
        try:
            st = os.stat(self.path)  # by name: a deleted or replaced file shows here
            head = os.pread(self._fd, HEADER, 0)  # the file we opened (it is the same one when the identity matches)
        except FileNotFoundError:
            return "was deleted", f"The course database {self.path} was deleted while the app was running"
        except OSError as exc:
            return "could not be read", f"The course database {self.path} cannot be read ({exc.strerror})"
        if (st.st_dev, st.st_ino) != self.identity:
            return ("was replaced by another file",
                    f"The course database {self.path} was replaced by another file while the app was running "
                    "(restart the app to use the new file)")
        reason = header_problem(head) if st.st_size else "it is empty"
        if reason:
            return "was corrupted", f"The course database {self.path} is corrupted ({reason})"
        return None

    def check(self) -> None:
        """Raise StoreError (and log once) when the file is gone, replaced or corrupted; it then stays failed."""
        if self.failure is None:
            found = self._problem()
            if found is not None:
                with self._lock:
                    if self.failure is None:
                        self.failure = LEARNER_MESSAGE.format(what=found[0])
                        log.error("%s. Writes are stopped: restore the file from a backup (or move it aside to "
                                  "start afresh) and restart the app.", found[1])
        if self.failure is not None:
            raise StoreError(self.failure)
