#!/usr/bin/env bash
# GET /api/v1/groups over a store of 1,000,000 events, through the HTTP API
# (`monitor serve`, load from `wrk` on the loopback) and as the same SQL in
# the `sqlite3` shell on the same file.
#
#   benches/checks/api_groups.sh [STORE.db]
#
# STORE.db (default: $CARGO_TARGET_DIR/bench/search-1M.db, target/ when
# CARGO_TARGET_DIR is unset) is filled when missing with the search
# benchmark's data (`cargo bench -p monitor-benches --bench fill_search`,
# a few minutes) and kept for the next run.
#
# Needs: cargo, wrk, sqlite3, curl, jq. Settings from the environment:
#   MONITOR_BIN    a monitor binary to use instead of building one
#   DURATION       of each wrk run (default 20s; wrk waits up to 30 s for an
#                  answer, the server's own time limit)
#   CONNECTIONS    of the loaded wrk run (default 16, on 2 wrk threads;
#                  the single-client run uses 1 connection)
#   SQLITE_RUNS    timed runs of each query in sqlite3 (default 20)
#   OUT            where the raw outputs go (default: beside the store)
#
# Prints one table: per query, the groups on the page and the response
# size, requests/s and p50/p99 latency at 1 and at CONNECTIONS connections,
# and the sqlite3 times of the same statement.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
db=$(realpath -m "${1:-$target/bench/search-1M.db}")
duration=${DURATION:-20s}
connections=${CONNECTIONS:-16}
sqlite_runs=${SQLITE_RUNS:-20}
out=${OUT:-$(dirname "$db")/api_groups}
mkdir -p "$out"

for tool in wrk sqlite3 curl jq; do
    command -v "$tool" >/dev/null || { echo "$tool is needed: install it (Debian: apt-get install $tool)" >&2; exit 1; }
done

source "$root/benches/checks/serve.sh"
monitor_binary

# The store: the search benchmark's 1M events, made once.
if [[ ! -f $db ]]; then
    mkdir -p "$(dirname "$db")"
    echo "filling $db with 1,000,000 events (a few minutes)" >&2
    cargo bench -p monitor-benches --bench fill_search -- "$db"
fi

# The server, on a port the system picks; its first line says which.
token=bench-token-0123456789abcdefgh
serve_store "$db" "$token" "$out/serve.log"
base=http://$address/api/v1/groups
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# wrk: the bearer token on every request, and one line of figures at the
# end: requests/s, p50 and p99 in microseconds, responses that were not
# 2xx or 3xx, socket errors.
cat >"$out/wrk.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $token"
done = function(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("FIGURES %.1f %d %d %d %d\n", summary.requests / summary.duration * 1e6,
        latency:percentile(50), latency:percentile(99), summary.errors.status, errors))
end
EOF

# The queries: a name, the API's query string, and the statement the
# SQLite store runs for it (monitor-sinks: store/search/sql.rs builds the
# WHERE clause, sqlite/store.rs the SELECT; a page of 50 reads 51 rows to
# know whether a next page exists), with its parameters as SQL values.
columns="group_key, template, module, function, file, line, error_type, severity, status, count,
    first_seen_ms, last_seen_ms, merged_into, assignee"
names=() paths=() wheres=() params=()
query() { names+=("$1"); paths+=("$2"); wheres+=("$3"); params+=("$4"); }
query "first page, no filter" \
    "limit=50" \
    "" \
    ""
query "severity >= error, module payments::sepa::*" \
    "min_severity=error&module=payments::sepa::*&limit=50" \
    "WHERE severity_rank >= ?1 AND module GLOB ?2" \
    "('?1', 3), ('?2', 'payments::sepa::*')"
query "severity >= critical, seen since 2027-01-14 08:00" \
    "min_severity=critical&since=2027-01-14T08:00:00Z&limit=50" \
    "WHERE severity_rank >= ?1 AND last_seen_ms >= ?2" \
    "('?1', 4), ('?2', 1799913600000)"
query "events of service billing in staging" \
    "service=billing&environment=staging&limit=50" \
    "WHERE group_key IN (SELECT group_key FROM events WHERE json_extract(context, '\$.service') = ?1 AND json_extract(context, '\$.environment') = ?2)" \
    "('?1', 'billing'), ('?2', 'staging')"
query "events with the word timeout" \
    "text=timeout&limit=50" \
    "WHERE group_key IN (SELECT group_key FROM events WHERE events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?1))" \
    "('?1', '\"timeout\"*')"

# sqlite3 on the same file: the parameters bound as the store binds them.
sql_session() { # $1: index of the query, $2: runs, $3: 1 to time each run
    printf '.parameter init\n'
    if [[ -n ${params[$1]} ]]; then
        printf 'INSERT INTO temp.sqlite_parameters (key, value) VALUES %s;\n' "${params[$1]}"
    fi
    printf '.output /dev/null\n'
    if [[ $3 == 1 ]]; then printf '.timer on\n'; fi
    for _ in $(seq "$2"); do
        printf 'SELECT %s FROM groups %s ORDER BY last_seen_ms DESC, group_key LIMIT 51;\n' "$columns" "${wheres[$1]}"
    done
}
wall() { # seconds a sqlite3 session of $@ takes
    local start=$EPOCHREALTIME
    sql_session "$@" | sqlite3 "$db" >/dev/null
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'
}
ms() { awk '{ printf "%.2f", $1 / 1000 }' <<<"$1"; }

rows=()
for i in "${!names[@]}"; do
    url="$base?${paths[$i]}"
    # The page once: a real answer, how many groups, how many bytes.
    status=$(curl -s -H "Authorization: Bearer $token" -o "$out/q$i.json" -w '%{http_code}' "$url") || status="curl $?"
    if [[ $status != 200 ]]; then
        echo "GET $url: $status" >&2
        cat "$out/q$i.json" "$out/serve.log" >&2
        exit 1
    fi
    groups=$(jq '.groups | length' "$out/q$i.json")
    bytes=$(wc -c <"$out/q$i.json")
    # wrk: one client, then CONNECTIONS of them.
    wrk -t1 -c1 -d"$duration" --timeout 30s -s "$out/wrk.lua" "$url" >"$out/q$i.c1.txt"
    wrk -t2 -c"$connections" -d"$duration" --timeout 30s -s "$out/wrk.lua" "$url" >"$out/q$i.c$connections.txt"
    read -r _ rps1 p50_1 p99_1 bad1 err1 < <(grep '^FIGURES' "$out/q$i.c1.txt")
    read -r _ rpsn p50_n p99_n badn errn < <(grep '^FIGURES' "$out/q$i.c$connections.txt")
    # The requests wrk left queued when it stopped still run: let the
    # server finish them (about CONNECTIONS of them, at the one-client
    # pace) before sqlite3 is timed beside it.
    sleep "$(awk -v r="$rps1" -v c="$connections" 'BEGIN { print (r > 0 ? c / r + 1 : 30) }')"
    if ((bad1 + err1 + badn + errn > 0)); then
        echo "query $i: $bad1/$badn non-2xx responses, $err1/$errn socket errors (see $out)" >&2
    fi
    # sqlite3: the plan; SQLITE_RUNS runs timed by .timer (after one to
    # warm the cache: the server's cache is warm too) for the median and
    # the largest, in milliseconds as .timer prints them; and the mean of
    # many runs in one session (its wall time less an empty session's),
    # for queries quicker than .timer's millisecond.
    sql_session "$i" 1 0 | sed 's/^\.output.*//; s/^SELECT/EXPLAIN QUERY PLAN SELECT/' | sqlite3 "$db" >"$out/q$i.plan.txt"
    sql_session "$i" $((sqlite_runs + 1)) 1 | sqlite3 "$db" | awk '/^Run Time/ { print $4 }' | tail -n +2 |
        sort -n >"$out/q$i.sqlite3.txt"
    median=$(awk '{ t[NR] = $1 } END { print (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2) * 1000 }' "$out/q$i.sqlite3.txt")
    largest=$(awk 'END { print $1 * 1000 }' "$out/q$i.sqlite3.txt")
    # As many runs as take about 2 s at the median (20 to 1,000).
    many=$(awk -v m="$median" 'BEGIN { n = m > 0 ? int(2000 / m) : 1000; print (n < 20 ? 20 : (n > 1000 ? 1000 : n)) }')
    empty=$(wall "$i" 0 0)
    full=$(wall "$i" "$many" 0)
    mean=$(awk -v f="$full" -v e="$empty" -v n="$many" 'BEGIN { print (f - e) * 1000 / n }')
    rows+=("$(printf '| %s | %s | %s | %.0f | %s / %s | %.0f | %s / %s | %.2f | %s / %s |' \
        "${names[$i]}" "$groups" "$bytes" "$rps1" "$(ms "$p50_1")" "$(ms "$p99_1")" \
        "$rpsn" "$(ms "$p50_n")" "$(ms "$p99_n")" "$mean" "$median" "$largest")")
done

echo
echo "monitor serve $address, store $db ($(du -h "$db" | cut -f1)); wrk $duration per run; sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo "nproc $(nproc); $(lscpu | sed -n 's/^Model name: *//p'); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| query | groups | bytes | c=1 req/s | c=1 p50 / p99 ms | c=$connections req/s | c=$connections p50 / p99 ms | sqlite3 mean ms | sqlite3 median / max ms |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "raw outputs (wrk, sqlite3 times and plans, the pages): $out"
