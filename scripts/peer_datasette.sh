#!/usr/bin/env bash
# Peer for the review workspace benchmark: the same million-sample project opened in Datasette
# (pip install datasette), timing what the app's list does: first page, a filter, a sort by a
# length column, and a page far into the list. Prints a Markdown table.
#
#   scripts/peer_datasette.sh target/bench-data/q1m.verdict
set -euo pipefail
project=${1:?usage: peer_datasette.sh PROJECT.verdict}
port=${PORT:-8765}
command -v datasette >/dev/null || { echo "datasette is needed: pip install datasette" >&2; exit 1; }
db=$(basename "$project" .verdict)
start=$(date +%s.%N)
log=$(mktemp)
datasette serve -i "$project" --port "$port" --setting sql_time_limit_ms 60000 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
until curl -sf "http://127.0.0.1:$port/-/versions.json" >/dev/null; do
  if ! kill -0 $pid 2>/dev/null; then
    # Seen here: Python's SQLite (3.40 on Debian 12) refuses the project's FTS5 table
    # ("unrecognized option: contentless_delete", an option of SQLite >= 3.43).
    echo "datasette could not open $project:" >&2
    tail -3 "$log" >&2
    exit 1
  fi
  sleep 0.05
done
ready=$(date +%s.%N)
echo "| Datasette $(datasette --version | awk '{print $3}') | seconds |"
echo "|---|---:|"
printf '| server start to ready | %.2f |\n' "$(echo "$ready - $start" | bc)"
time_url() {
  curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/$1"
}
printf '| first page of samples (50 rows, JSON) | %s |\n' "$(time_url "$db/samples.json?_size=50&_nocount=1")"
printf '| first page, HTML with the row count | %s |\n' "$(time_url "$db/samples?_size=50")"
printf '| filter modality=text, first page with count | %s |\n' "$(time_url "$db/sample_stats.json?_size=50&modality__exact=text")"
printf '| sort by len_a, first page | %s |\n' "$(time_url "$db/sample_stats.json?_size=50&_sort=len_a&_nocount=1")"
printf '| filter len_chosen>500, first page with count | %s |\n' "$(time_url "$db/sample_stats.json?_size=50&len_chosen__gt=500")"
printf '| page at offset 500,000 (SQL OFFSET) | %s |\n' "$(time_url "$db.json?sql=select+*+from+samples+order+by+id+limit+50+offset+500000")"
