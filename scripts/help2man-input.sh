#!/bin/sh
# What help2man reads instead of a tool's own --help/--version: the same text, reshaped where
# CLI11's layout and help2man's parser disagree. help2man runs this script with --help or
# --version; the tool to run is in $FLOWKIT_HELP2MAN_TOOL (set by the build, see
# cmake/FlowkitToolDocs.cmake).
#   - "-e,--regexp" becomes "-e, --regexp", so help2man sets both spellings in bold;
#   - an option's "Excludes:"/"Needs:" clause is set apart from its description;
#   - the "Positionals:" block joins the end of the "Options:" block (help2man would otherwise
#     file it under a later section);
#   - the "Exit status:" paragraph is left out: the man page has an EXIT STATUS section,
#     written in the tool's .h2m file (a test checks the two name the same codes);
#   - a heading that repeats an earlier one (versiondetect's "Output:" notes after its "Output:"
#     options) becomes "Output details:", so the page has no two subsections of one name.
set -eu
tool=${FLOWKIT_HELP2MAN_TOOL:?set FLOWKIT_HELP2MAN_TOOL to the tool to document}
case "${1:-}" in
  --version) exec "$tool" --version ;;
  --help) ;;
  *) echo "usage: FLOWKIT_HELP2MAN_TOOL=TOOL $0 --help|--version" >&2; exit 2 ;;
esac

help=$("$tool" --help)
printf '%s\n' "$help" | awk '
  function flush_positionals() { printf "%s", positionals; positionals = "" }
  # Paragraph state: in_positionals, in_options, in_exit.
  /^Positionals:$/ { in_positionals = 1; next }
  in_positionals && /^$/ { in_positionals = 0; next }
  in_positionals { positionals = positionals $0 "\n"; next }
  /^Exit status:/ { in_exit = 1; next }
  in_exit && /^$/ { in_exit = 0; next }
  in_exit { next }
  /^Options:$/ { in_options = 1; print; next }
  in_options && /^$/ { in_options = 0; flush_positionals() }
  /^ +-[[:alnum:]],--/ { sub(/,--/, ", --") }
  # "-q,--quiet Excludes: --progress No progress line": CLI11 leaves one space before the
  # description when such a clause overflows the column; help2man needs two to tell them apart.
  /^ +-.* (Excludes|Needs): -/ { sub(/(Excludes|Needs): (-[^ ]+ )+/, "&  ") }
  /^[[:upper:]][^:]*:$/ {
    if ($0 in headings) sub(/:$/, " details:")
    headings[$0] = 1
  }
  { print }
  END { flush_positionals() }
'
