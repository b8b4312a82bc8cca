#!/usr/bin/env bash
# The dashboard's overview and error list over a store of 1,000,000 events
# whose last day is the real last day: how long `monitor serve` takes to
# render each page, measured from the loopback.
#
#   benches/checks/dashboard_pages.sh [STORE.db]
#
# STORE.db (default: $CARGO_TARGET_DIR/bench/dashboard-1M.db, target/ when
# CARGO_TARGET_DIR is unset) is filled when missing with the search
# benchmark's data ending now (`cargo bench -p monitor-benches --bench
# fill_search -- STORE.db --ending-now`, a few minutes). Its last 24 hours
# move into the past as the clock goes on: fill a new one for a new run.
#
# Needs: cargo, curl. Settings from the environment:
#   MONITOR_BIN  a monitor binary to use instead of building one
#   RUNS         requests per page (default 30, after 3 to warm up)
#
# Prints, per page, the median, p95 and largest of curl's total time (the
# request sent to the last byte received, on the loopback: the server's
# time and a fraction of a millisecond) and the page's size.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
db=$(realpath -m "${1:-$target/bench/dashboard-1M.db}")
runs=${RUNS:-30}
out=$(dirname "$db")/dashboard_pages
mkdir -p "$out"

command -v curl >/dev/null || { echo "curl is needed: install it (Debian: apt-get install curl)" >&2; exit 1; }

source "$root/benches/checks/serve.sh"
monitor_binary

if [[ ! -f $db ]]; then
    mkdir -p "$(dirname "$db")"
    echo "filling $db with 1,000,000 events ending now (a few minutes)" >&2
    cargo bench -p monitor-benches --bench fill_search -- "$db" --ending-now
fi

token=bench-token-0123456789abcdefgh
serve_store "$db" "$token" "$out/serve.log"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| page | median | p95 | largest | size |\n|---|---|---|---|---|\n'
for page in "/" "/?range=7d" "/?range=30d" "/errors" "/errors?text=timeout" "/errors?min_severity=error&sort=count"; do
    url="http://$address/dashboard$page"
    times=$out/times.txt
    : >"$times"
    for i in $(seq $((runs + 3))); do
        line=$(curl -sS -o "$out/page.html" -w '%{http_code} %{time_total} %{size_download}' \
            -H "Cookie: monitor_dashboard=$token" "$url")
        read -r status seconds size <<<"$line"
        [[ $status == 200 ]] || { echo "$url answered $status" >&2; exit 1; }
        (( i > 3 )) && echo "$seconds" >>"$times"
    done
    sort -n "$times" | awk -v page="$page" -v size="$size" '
        { t[NR] = $1 * 1000 }
        END {
            p95 = int(NR * 0.95 + 0.999); if (p95 > NR) p95 = NR
            printf "| `%s` | %.1f ms | %.1f ms | %.1f ms | %d KB |\n", page, t[int((NR + 1) / 2)], t[p95], t[NR], size / 1024
        }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
