# Sourced by bench/run.sh and bench/live.sh.
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
