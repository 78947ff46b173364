#!/usr/bin/env bash
# Start the course as N Streamlit replicas on ports BASE_PORT.. and HAProxy with sticky sessions in front, all in
# the foreground; Ctrl-C (or SIGTERM) stops everything it started. If any process dies, the rest are stopped too.
#
#   RNN_COURSE_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST/DB deploy/run_replicas.sh
#
# Settings (environment): REPLICAS (default: one per CPU core, at least 2), BASE_PORT (8501), PROXY_PORT (8500),
# PROXY_BIND (127.0.0.1; 0.0.0.0 to serve other machines, or put TLS in front), RUN_DIR (logs and the rendered
# proxy config; default a new temp folder), PYTHON (.venv/bin/python), WORKER_CMD (optional: a command to run
# beside the replicas, e.g. the training job engine's worker), STREAMLIT_SERVER_COOKIE_SECRET (shared by every
# replica; generated for this run when unset). Every RNN_COURSE_* setting is passed on to the replicas.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
CORES=$("$PYTHON" -c 'import os; print(len(os.sched_getaffinity(0)))')
REPLICAS=${REPLICAS:-$(( CORES > 2 ? CORES : 2 ))}
BASE_PORT=${BASE_PORT:-8501}
export PROXY_PORT=${PROXY_PORT:-8500}
export PROXY_BIND=${PROXY_BIND:-127.0.0.1}
RUN_DIR=${RUN_DIR:-$(mktemp -d -t rnn-course-replicas.XXXXXX)}
mkdir -p "$RUN_DIR"

if [[ -z "${RNN_COURSE_DATABASE_URL:-}" ]]; then
    echo "run_replicas.sh: set RNN_COURSE_DATABASE_URL; replicas must share one database (PostgreSQL)." >&2
    exit 2
fi
if [[ "$RNN_COURSE_DATABASE_URL" == sqlite* ]]; then
    echo "run_replicas.sh: warning: SQLite works only while every replica runs on this one machine." >&2
fi
# One secret for all replicas: Streamlit signs its XSRF and login cookies with it, and a browser that the proxy
# moves to another replica (its replica restarted) must still be accepted there.
export STREAMLIT_SERVER_COOKIE_SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')}

# The schema, once, before any replica starts (the app would also migrate under a lock; this keeps starts quick).
"$PYTHON" -m alembic upgrade head >"$RUN_DIR/migrate.log" 2>&1 || { cat "$RUN_DIR/migrate.log" >&2; exit 1; }

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT TERM

servers=""
for i in $(seq 1 "$REPLICAS"); do
    port=$(( BASE_PORT + i - 1 ))
    "$PYTHON" -m streamlit run Home.py --server.headless true --server.address 127.0.0.1 --server.port "$port" \
        --server.fileWatcherType none --browser.gatherUsageStats false >"$RUN_DIR/replica-$i.log" 2>&1 &
    pids+=($!)
    servers+="    server app$i 127.0.0.1:$port check cookie app$i"$'\n'
done

if [[ -n "${WORKER_CMD:-}" ]]; then
    bash -c "$WORKER_CMD" >"$RUN_DIR/worker.log" 2>&1 &
    pids+=($!)
fi

# Wait until every replica answers its health check: a proxy started earlier marks the slow ones DOWN and sends
# every new browser to the first one up until its checks recover.
"$PYTHON" - "$BASE_PORT" "$REPLICAS" <<'PY' || { echo "run_replicas.sh: replicas did not start; see $RUN_DIR" >&2; exit 1; }
import sys, time, urllib.request
base, n = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 180
for port in range(base, base + n):
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"replica on port {port} is not healthy")
        time.sleep(0.2)
PY

# deploy/haproxy.cfg with this run's server lines between its markers
awk -v servers="$servers" '
    /# BEGIN servers/ { print; printf "%s", servers; skip = 1; next }
    /# END servers/ { skip = 0 }
    !skip { print }' deploy/haproxy.cfg >"$RUN_DIR/haproxy.cfg"
haproxy -c -q -f "$RUN_DIR/haproxy.cfg"
haproxy -db -f "$RUN_DIR/haproxy.cfg" >"$RUN_DIR/haproxy.log" 2>&1 &
pids+=($!)

echo "run_replicas.sh: $REPLICAS replicas on ports $BASE_PORT-$(( BASE_PORT + REPLICAS - 1 )), proxy on" \
     "http://$PROXY_BIND:$PROXY_PORT, logs in $RUN_DIR"
wait -n "${pids[@]}"
echo "run_replicas.sh: a process exited; stopping the others" >&2
exit 1
