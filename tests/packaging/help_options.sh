# shellcheck shell=bash
# Sourced by the packaging tests: what a flowkit tool's --help (CLI11 layout) says it accepts.
# Option lines start with spaces and a dash: "  -r,--read FILE|DIR ...   Read packets ...".

# The option names of every option line, one per line ("-r", "--read", ...). A line whose names
# are followed by a lower-case word is prose that starts with an option name ("  --json prints
# one object ..."), not an option line: CLI11 writes value types in capitals.
help_option_names() {
  printf '%s\n' "$1" | awk '/^ +-/ {
    spec = $0
    sub(/^ +/, "", spec)
    if (match(spec, /  /)) spec = substr(spec, 1, RSTART - 1)  # the description follows
    if (split(spec, words, " ") > 1 && words[2] ~ /^[[:lower:]]/) next
    n = split(words[1], names, ",")
    for (i = 1; i <= n; ++i) print names[i]
  }'
}

# Only the long ones.
help_long_options() {
  help_option_names "$1" | grep -- '^--' || true
}

# The exit codes named by the "Exit status:" paragraph, one per line.
help_exit_codes() {
  printf '%s\n' "$1" | awk '/^Exit status:/ { on = 1 } on && /^$/ { on = 0 } on' |
    grep -oE '(^|[^[:alnum:]])[0-9]+([^[:alnum:]]|$)' | tr -dc '0-9\n' | sort -un
}

# A list on one line, for messages.
oneline() {
  tr '\n' ' ' <<<"$1" | sed 's/ *$//'
}
