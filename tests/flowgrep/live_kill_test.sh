#!/usr/bin/env bash
# flowgrep --kill against real TCP connections: two network namespaces joined by a veth pair,
# an echo server in one, a client in the other, flowgrep capturing on the client's veth.
# The connection that sends the pattern must be reset at both ends soon after; the other one
# must keep working. Exits 77 (skipped) without root or iproute2.
#   live_kill_test.sh /path/to/flowgrep
set -u
flowgrep=$1
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: needs iproute2"; exit 77; }
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || { echo "SKIP: needs python3"; exit 77; }

id=$$
client_ns=fkc-$id server_ns=fks-$id
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$client_ns" 2>/dev/null
  ip netns del "$server_ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$client_ns" && ip netns add "$server_ns" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add "vc$id" type veth peer name "vs$id"
ip link set "vc$id" netns "$client_ns"
ip link set "vs$id" netns "$server_ns"
ip -n "$client_ns" addr add 10.77.0.1/24 dev "vc$id"
ip -n "$server_ns" addr add 10.77.0.2/24 dev "vs$id"
ip -n "$client_ns" addr add fd77::1/64 dev "vc$id" nodad
ip -n "$server_ns" addr add fd77::2/64 dev "vs$id" nodad
for ns in "$client_ns" "$server_ns"; do ip -n "$ns" link set lo up; done
ip -n "$client_ns" link set "vc$id" up
ip -n "$server_ns" link set "vs$id" up

# Echo server: one thread per connection; records how each connection ended.
cat > "$work/server.py" <<'PY'
import socket, sys, threading
log = open(sys.argv[1], "w", buffering=1)
host = sys.argv[2]
srv = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, 8000)); srv.listen(8)
def serve(conn):
    name, how = None, "closed"
    try:
        while True:
            data = conn.recv(4096)
            if not data: break
            if name is None: name = data.split(b"\n")[0].decode()
            conn.sendall(data)
    except ConnectionResetError:
        how = "reset"
    log.write(f"{name} {how}\n")
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# Client: one connection says the pattern, the other never does; both keep talking for a while.
cat > "$work/client.py" <<'PY'
import socket, sys, time, threading
results = {}
host = sys.argv[1]
def talk(name, say_pattern):
    s = socket.create_connection((host, 8000), timeout=5)
    try:
        s.sendall(f"{name}\n".encode()); s.recv(4096)
        if say_pattern:
            time.sleep(0.3)
            s.sendall(b"here it comes: KILL-ME-42\n")
        deadline = time.time() + 3
        while time.time() < deadline:
            time.sleep(0.1)
            s.sendall(b"still here\n")
            if not s.recv(4096): results[name] = "closed"; return
        results[name] = "alive"
    except (ConnectionResetError, BrokenPipeError):
        results[name] = f"reset after {time.time() - start:.2f}s"
    finally:
        s.close()
start = time.time()
threads = [threading.Thread(target=talk, args=("bad", True)), threading.Thread(target=talk, args=("good", False))]
for t in threads: t.start()
for t in threads: t.join()
for k in sorted(results): print(k, results[k])
PY

fail=0
run_case() {  # $1 = family label, $2 = server address, then more flowgrep options
  local label=$1 server=$2
  shift 2
  : > "$work/server.log"
  ip netns exec "$server_ns" "$py" "$work/server.py" "$work/server.log" "$server" & local server_pid=$!
  ip netns exec "$client_ns" "$flowgrep" --kill --json "$@" -e 'KILL-ME-[0-9]+' -i "vc$id" tcp port 8000 \
    > "$work/flowgrep.out" 2> "$work/flowgrep.err" & local grep_pid=$!
  pids+=("$server_pid" "$grep_pid")
  sleep 1.5  # let the server listen and flowgrep open the interface
  ip netns exec "$client_ns" "$py" "$work/client.py" "$server" > "$work/client.out" 2>&1
  sleep 0.5
  kill -INT "$grep_pid" 2>/dev/null
  wait "$grep_pid" 2>/dev/null
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null

  echo "=== $label"
  echo "--- client"; cat "$work/client.out"
  echo "--- server"; cat "$work/server.log"
  echo "--- flowgrep"; cat "$work/flowgrep.out" "$work/flowgrep.err"
  local bad=0
  grep -q '^bad reset' "$work/client.out" || { echo "FAIL ($label): the client of the matching connection was not reset"; bad=1; }
  grep -q '^bad reset' "$work/server.log" || { echo "FAIL ($label): the server of the matching connection was not reset"; bad=1; }
  grep -q '^good alive' "$work/client.out" || { echo "FAIL ($label): the connection without the pattern did not keep working"; bad=1; }
  grep -q '"type":"kill"' "$work/flowgrep.out" || { echo "FAIL ($label): flowgrep logged no kill"; bad=1; }
  grep -q '"type":"match"' "$work/flowgrep.out" || { echo "FAIL ($label): flowgrep logged no match"; bad=1; }
  grep -q 'matches in' "$work/flowgrep.err" || { echo "FAIL ($label): flowgrep printed no totals after SIGINT"; bad=1; }
  [ "$bad" -eq 0 ] && echo "PASS ($label): matching connection reset at both ends, the other untouched"
  [ "$bad" -eq 0 ] || fail=1
}
run_case IPv4 10.77.0.2
# The raw sockets are opened before -Z drops root: killing still works as nobody.
run_case "IPv6, -Z nobody" fd77::2 -Z nobody
# Two threads, each reading its own socket of an AF_PACKET fanout group.
run_case "IPv4, 2 threads over a fanout group" 10.77.0.2 --threads 2 --fanout
exit "$fail"
