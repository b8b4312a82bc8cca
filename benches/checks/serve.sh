# Shared by the checks that measure `monitor serve` (sourced, not run):
# the binary to use and a server on a loopback port over a store.

# Sets `monitor`: $MONITOR_BIN when given, else a release build of
# monitor-cli in $target (nothing to do when fresh).
monitor_binary() {
    if [[ -n ${MONITOR_BIN:-} ]]; then
        monitor=$MONITOR_BIN
    else
        cargo build --release --quiet -p monitor-cli
        monitor=$target/release/monitor
    fi
}

# serve_store DB TOKEN LOG: starts `monitor serve` over DB with TOKEN as a
# viewer, on a port the system picks, its output in LOG; stops it when the
# script exits. Sets `server` (its pid) and `address` (host:port, read from
# its first line).
serve_store() {
    local db=$1 token=$2 log=$3
    rm -f "$log" # a previous run's first line would name a port no longer served
    MONITOR_API_TOKENS="bench:viewer:$token" "$monitor" serve --db "$db" --listen 127.0.0.1:0 >"$log" 2>&1 &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
    address=
    for _ in $(seq 100); do
        address=$(sed -n '1s/^serving .* at http:\/\///p' "$log" 2>/dev/null || true)
        [[ -n $address ]] && return 0
        kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.1
    done
    echo "monitor serve did not say where it listens" >&2
    exit 1
}
