#!/usr/bin/env bash
# The generated bash completion of a tool completes what its --help lists:
#   bash_completion.sh TOOL_BINARY COMPLETION_FILE
# Runs the completion function the way bash does (COMP_WORDS, COMP_CWORD) in a fresh bash with
# only the completion file sourced, and checks COMPREPLY:
# - "--" completes to exactly the long options of --help (read at test time);
# - a prefix completes to the options it starts;
# - an option with a fixed set of values ({a,b,c} in --help) completes to those values;
# - -r / --read (and -w / --write, -o / --output where the tool has them) complete file names,
#   also written --read=...; a number option completes to nothing; -i to interface names.
set -euo pipefail
tool=$1
completion=$(realpath "$2")
name=$(basename "$tool")
# shellcheck source=tests/packaging/help_options.sh
source "$(dirname "$0")/help_options.sh"

fail=0
error() {
  echo "FAIL: $*" >&2
  fail=1
}
[ -s "$completion" ] || { echo "FAIL: no completion file at $completion" >&2; exit 1; }
help=$("$tool" --help)
options=$(help_option_names "$help")
long=$(help_long_options "$help" | sort -u)

# complete WORD... : what the completion offers for the last word (sorted, one per line).
complete_words() {
  bash --norc --noprofile -c '
    source "$1"
    shift
    spec=$(complete -p "$1") || exit 3
    func=${spec#*-F }
    func=${func%% *}
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    "$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"
  ' completion "$completion" "$@" | sed '/^$/d' | sort
}

expect() {  # expect EXPECTED WORD...: completing the last WORD offers exactly EXPECTED
  local expected=$1 got
  shift
  got=$(complete_words "$@")
  [ "$got" = "$expected" ] ||
    error "completing '$*': expected [$(oneline "$expected")], got [$(oneline "$got")]"
}

expect "$long" "$name" --
expect "" "$name" --no-such-option
# Every long option completes from its first five characters (with whatever else starts so).
while read -r option; do
  prefix=${option:0:5}
  expect "$(grep -- "^$prefix" <<<"$long")" "$name" "$prefix"
done <<<"$long"

# Values from a fixed set: "--direction TEXT:{client,server,both}" -> client, server, both.
while IFS=$'\t' read -r names values; do
  [ -n "$names" ] || continue
  expected=$(tr ',' '\n' <<<"$values" | sort)
  for option in ${names//,/ }; do
    expect "$expected" "$name" "$option" ""
  done
done < <(printf '%s\n' "$help" | awk '/^ +-.*\{[^}]*\}/ {
    match($0, /\{[^}]*\}/); printf "%s\t%s\n", $1, substr($0, RSTART + 1, RLENGTH - 2) }')

# File names, in a scratch directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/captures"
touch "$scratch/capture-a.pcap" "$scratch/capture-b.pcapng" "$scratch/notes.txt"
cd "$scratch"
captures=$'capture-a.pcap\ncapture-b.pcapng\ncaptures'
checked_files=0
for option in -r --read -w --write -o --output; do
  grep -qxF -- "$option" <<<"$options" || continue
  expect "$captures" "$name" "$option" cap
  expect "capture-b.pcapng" "$name" --json "$option" capture-b
  checked_files=$((checked_files + 1))
done
[ "$checked_files" -ge 2 ] || error "$name has neither -r nor --read?"
expect "$captures" "$name" --read = cap
# After -r FILE, more files (or the filter) follow.
expect "capture-b.pcapng" "$name" -r capture-a.pcap capture-b
if grep -qxF -- --threads <<<"$options"; then expect "" "$name" --threads ""; fi
if grep -qxF -- -i <<<"$options" && [ -d /sys/class/net/lo ]; then
  complete_words "$name" -i l | grep -qx lo || error "'$name -i l' does not complete to lo"
fi

[ "$fail" -eq 0 ] || exit 1
echo "$name completion: $(wc -l <<<"$long") long options, values and file names complete"
