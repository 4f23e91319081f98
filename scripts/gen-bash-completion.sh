#!/bin/sh
# Writes a bash completion script for a flowkit tool from the tool's own --help output (CLI11's
# layout), so the completion offers exactly the options the binary has. Run by the build (see
# cmake/FlowkitToolDocs.cmake):
#   scripts/gen-bash-completion.sh TOOL_BINARY NAME OUTPUT
# What an option's value completes to comes from the type CLI11 prints after its names:
#   {a,b,c}            those words          (e.g. --direction TEXT:{client,server,both})
#   IFACE              network interfaces   (-i, --interface)
#   INT, UINT, FLOAT   nothing              (numbers)
#   IP, LIST           nothing
#   anything else      file and directory names (-r FILE|DIR, -w TEXT, -o FILE, --dump-dir ...)
# A word that is neither an option nor an option's value completes to file names: after
# -r FILE..., the remaining words are more capture files or the BPF filter.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 TOOL_BINARY NAME OUTPUT" >&2
  exit 2
fi
tool=$1
name=$2
output=$3
help=$("$tool" --help)

# One line per option: "NAMES<TAB>KIND<TAB>WORDS", NAMES separated by '|' (a bash case pattern).
table=$(printf '%s\n' "$help" | awk '
  /^ +-/ {
    line = $0
    sub(/^ +/, "", line)
    # Names and value type end where the description starts: two spaces, or the end of line.
    spec = line
    if (match(spec, /  /)) spec = substr(spec, 1, RSTART - 1)
    sub(/ (Excludes|Needs): .*/, "", spec)  # "-q,--quiet Excludes: --progress ..."
    split(spec, parts, " ")
    names = parts[1]
    type = substr(spec, length(names) + 2)
    # CLI11 writes value types in capitals (TEXT, UINT, FILE|DIR); a lower-case word after the
    # names is prose in a footer that happens to start with an option ("  --json prints ...").
    if (type != "" && type !~ /^[[:upper:]{]/) next
    gsub(/,/, "|", names)
    kind = "files"; words = ""
    if (type == "") kind = "flag"
    else if (match(type, /\{[^}]*\}/)) {
      kind = "words"
      words = substr(type, RSTART + 1, RLENGTH - 2)
      gsub(/,/, " ", words)
    }
    else if (type ~ /^IFACE/) kind = "interfaces"
    else if (type ~ /^(U?INT|FLOAT|NUMBER|IP|LIST)([:= ]|$)/) kind = "none"
    printf "%s\t%s\t%s\n", names, kind, words
  }')
if [ -z "$table" ]; then
  echo "$0: no options found in '$tool --help'" >&2
  exit 1
fi

function_name="_flowkit_$(printf '%s' "$name" | tr -c '[:alnum:]_' '_')"
options=$(printf '%s\n' "$table" | cut -f1 | tr '|' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')
# The case branches for option values: one per option with a list of words, one per other kind.
cases=$(printf '%s\n' "$table" | awk -F '\t' '
  function add(kind, names) { group[kind] = group[kind] == "" ? names : group[kind] "|" names }
  $2 == "words" {
    printf "    %s)\n      mapfile -t COMPREPLY < <(compgen -W \"%s\" -- \"$cur\")\n      return ;;\n", $1, $3
  }
  $2 == "files" || $2 == "interfaces" || $2 == "none" { add($2, $1) }
  END {
    if (group["files"] != "") {
      printf "    %s)\n      compopt -o filenames 2>/dev/null\n", group["files"]
      printf "      mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n      return ;;\n"
    }
    if (group["interfaces"] != "") {
      printf "    %s)\n      mapfile -t COMPREPLY < <(compgen -W \"$(ls /sys/class/net 2>/dev/null)\" -- \"$cur\")\n      return ;;\n", group["interfaces"]
    }
    if (group["none"] != "") printf "    %s)\n      return ;;\n", group["none"]
  }
')

tmp="$output.tmp"
cat > "$tmp" <<EOF
# bash completion for $name -*- shell-script -*-
# Generated from '$name --help' by scripts/gen-bash-completion.sh; do not edit.

$function_name() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=""
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  # --option=value: bash splits it into "--option", "=", "value".
  if [[ \$cur == "=" && \$prev == -* ]]; then
    cur=""
  elif [[ \$prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev=\${COMP_WORDS[COMP_CWORD - 2]}
  fi
  COMPREPLY=()
  case \$prev in
$cases
  esac
  if [[ \$cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "\$cur")
    return
  fi
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "\$cur")
}
complete -F $function_name $name
EOF
mv "$tmp" "$output"
