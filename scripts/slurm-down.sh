#!/usr/bin/env bash
# Stop the daemons scripts/slurm-up.sh started, by PID, in reverse order.
BASE=${SLURM_CI_DIR:-/tmp/slurm-ci}
[ -f "$BASE/state/pids" ] || exit 0
tac "$BASE/state/pids" | while read -r name pid; do
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "stopped $name ($pid)"
done
: > "$BASE/state/pids"
