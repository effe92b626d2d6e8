# shellcheck shell=bash disable=SC2034
# Shared by stack-up.sh and stack-down.sh; sourced, not run (so variables look unused here).
# Each service runs in its own process group (setsid); its pid file holds "PGID STARTTIME" so a
# recycled pid is never mistaken for ours.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO/.stack}"
mkdir -p "$STACK_DIR"
STACK_DIR="$(cd "$STACK_DIR" && pwd)"
STACK_LOGS="$STACK_DIR/logs"
STACK_PIDS="$STACK_DIR/pids"
STACK_PKI="$STACK_DIR/pki"
STACK_ENV="$STACK_DIR/env"
KUBECONFIG_FILE="$STACK_DIR/kubeconfig"

log() { echo "stack: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Field 22 of /proc/PID/stat (start time in clock ticks); comm may contain spaces, so cut after ')'.
proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }

# Live (non-zombie) members of a process group.
group_members() {
  local p state
  for p in $(pgrep -g "$1" 2>/dev/null); do
    state="$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $1}')"
    [ -n "$state" ] && [ "$state" != Z ] && echo "$p"
  done
  return 0
}

read_pidfile() { # name -> sets PID_PGID, PID_START; fails if no pid file
  local f="$STACK_PIDS/$1.pid"
  [ -f "$f" ] || return 1
  read -r PID_PGID PID_START < "$f" || true
  [ -n "${PID_PGID:-}" ]
}

# True while the leader we started is running (not a zombie, same start time).
leader_alive() {
  read_pidfile "$1" || return 1
  [ "$(proc_start "$PID_PGID")" = "$PID_START" ] || return 1
  [ "$(sed 's/.*) //' "/proc/$PID_PGID/stat" 2>/dev/null | awk '{print $1}')" != Z ]
}

# True if anything of our group is left (the leader may already be gone).
group_alive() {
  read_pidfile "$1" || return 1
  if [ -e "/proc/$PID_PGID" ]; then
    # A different start time means the pid was recycled for a process that is not ours.
    [ "$(proc_start "$PID_PGID")" = "$PID_START" ] || return 1
  fi
  [ -n "$(group_members "$PID_PGID")" ]
}

start_service() { # name command... ; output goes to logs/NAME.log
  local name="$1"; shift
  local pidfile="$STACK_PIDS/$name.pid" tmp="$STACK_PIDS/$name.pid.new" pid
  mkdir -p "$STACK_LOGS" "$STACK_PIDS"
  rm -f "$tmp"
  # The inner shell records its own pid after setsid, so the pid is the process group id.
  # Close inherited fds above 2: they carry the stack-up/build locks (a service would hold them
  # forever) and possibly a caller's pipes (which would then never see EOF).
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi 2>/dev/null; done
    echo "$$" > "$0"; exec "$@"' "$tmp" "$@" > "$STACK_LOGS/$name.log" 2>&1 < /dev/null &
  disown # no "Killed" job notices from this shell when the service is stopped
  for _ in $(seq 100); do [ -s "$tmp" ] && break; sleep 0.05; done
  [ -s "$tmp" ] || die "$name did not start"
  pid="$(cat "$tmp")"
  echo "$pid $(proc_start "$pid")" > "$tmp"
  mv -f "$tmp" "$pidfile"
}

stop_service() { # name [timeout seconds]
  local name="$1" timeout="${2:-20}"
  if group_alive "$name"; then
    log "stopping $name (process group $PID_PGID)"
    kill -TERM -- "-$PID_PGID" 2>/dev/null || true
    for _ in $(seq $((timeout * 10))); do
      [ -z "$(group_members "$PID_PGID")" ] && break
      sleep 0.1
    done
    if [ -n "$(group_members "$PID_PGID")" ]; then
      log "$name did not stop in ${timeout}s; killing"
      kill -KILL -- "-$PID_PGID" 2>/dev/null || true
      for _ in $(seq 50); do
        [ -z "$(group_members "$PID_PGID")" ] && break
        sleep 0.1
      done
    fi
    # Give init a moment to reap the leader, so no zombie of ours is left in the process list.
    for _ in $(seq 50); do
      [ "$(proc_start "$PID_PGID")" = "$PID_START" ] || break
      sleep 0.1
    done
  fi
  rm -f "$STACK_PIDS/$name.pid" "$STACK_PIDS/$name.port"
}

port_of() { cat "$STACK_PIDS/$1.port" 2>/dev/null; }

# Loopback ports the kernel reports free; all bound at once so they differ.
free_ports() { # count
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

curl_local() { curl --noproxy '*' -sf --max-time 5 "$@"; }

etcd_healthy() {
  local port; port="$(port_of etcd)" || return 1
  leader_alive etcd && curl_local "http://127.0.0.1:$port/health" | grep -q '"health":"true"'
}

apiserver_get() { # path
  curl_local --cacert "$STACK_PKI/ca.crt" --cert "$STACK_PKI/admin.crt" --key "$STACK_PKI/admin.key" \
    "https://127.0.0.1:$(port_of kube-apiserver)$1"
}

apiserver_healthy() {
  port_of kube-apiserver > /dev/null && leader_alive kube-apiserver && [ "$(apiserver_get /readyz)" = ok ]
}

moto_healthy() {
  local port; port="$(port_of moto)" || return 1
  leader_alive moto && curl_local -o /dev/null "http://127.0.0.1:$port/moto-api/"
}

wait_for() { # name timeout-seconds check-function
  local name="$1" timeout="$2" check="$3" start=$SECONDS
  until "$check"; do
    if ! leader_alive "$name"; then
      log "$name exited; last lines of $STACK_LOGS/$name.log:"
      tail -n 30 "$STACK_LOGS/$name.log" >&2 || true
      return 1
    fi
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      log "$name not ready after ${timeout}s; last lines of $STACK_LOGS/$name.log:"
      tail -n 30 "$STACK_LOGS/$name.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}
