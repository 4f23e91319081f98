# Sourced by bench/run.sh and bench/live.sh.

# json BASE KEY: the value of KEY in BASE.json (a capture's description, a tool's statistics):
# one key per line, as bench_make_capture and --stats-json write them.
json() { sed -n "s/^ *\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1.json"; }

# needles OUTPUT CAPTURE REGEX: "inside split", how many of CAPTURE's needles (listed in
# CAPTURE.needles, each "id inside|split") a tool's OUTPUT shows, each counted once.
needles() {
  local found
  found=$(grep -oE "$3" "$1" | sed 's/^FLOWKIT-NEEDLE-//; s/-END$//' | sort -u || true)
  local inside split
  inside=$(awk '$2 == "inside" { print $1 }' "$2.needles" | sort | comm -12 - <(echo "$found") |
    sed '/^$/d' | wc -l)
  split=$(awk '$2 == "split" { print $1 }' "$2.needles" | sort | comm -12 - <(echo "$found") |
    sed '/^$/d' | wc -l)
  echo "$inside $split"
}
