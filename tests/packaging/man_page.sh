#!/usr/bin/env bash
# The man page of a tool documents what its --help says, and nothing it does not:
#   man_page.sh TOOL_BINARY MAN_PAGE
# - every option --help lists (long and short) appears in the page;
# - every --option the page mentions (including the hand-written EXAMPLES of the .h2m file)
#   is one --help lists, so an example cannot outlive a renamed option;
# - the EXIT STATUS section names the same codes as the "Exit status:" line of --help;
# - NAME comes from the .h2m file, the version from --version; groff finds nothing to warn about.
# The option list is read from --help at test time: options added later are checked too.
set -euo pipefail
tool=$1
page=$2
name=$(basename "$tool")
# shellcheck source=tests/packaging/help_options.sh
source "$(dirname "$0")/help_options.sh"

fail=0
error() {
  echo "FAIL: $*" >&2
  fail=1
}

[ -s "$page" ] || { echo "FAIL: no man page at $page" >&2; exit 1; }
help=$("$tool" --help)
version=$("$tool" --version)

# The page's text with roff escapes resolved: fonts (\fB, \fR, \f(CW), italic corrections
# (\, \/), \- (minus), \e (backslash), \(aq; requests (.TP, .B, ...) keep their arguments.
text=$(sed -E -e 's/\\f(\(..|\[[^]]*\]|.)//g' -e 's/\\[,/&]//g' -e 's/\\-/-/g' -e 's/\\\(aq/'"'"'/g' \
  -e 's/\\e/\\/g' -e 's/^\.[A-Z]+ ?//' "$page")

# Whole-word search: "--read" must not be found inside "--read-foo" nor "-r" inside "--reassemble".
# (A here-string, not a pipe: grep -q exiting at the first match would fail a pipefail pipe.)
mentions() {
  grep -qE -- "(^|[^-[:alnum:]])$1([^-[:alnum:]]|$)" <<<"$text"
}

options=$(help_option_names "$help")
[ "$(printf '%s\n' "$options" | grep -c -- '^--')" -ge 5 ] ||
  error "found fewer than 5 long options in '$name --help': is the parser out of date?"
for option in $options; do
  mentions "$option" || error "$name --help lists $option, the man page does not"
done

for option in $(printf '%s\n' "$text" | grep -oE -- '(^|[^-[:alnum:]])--[[:alpha:]][-[:alnum:]]*' |
                grep -oE -- '--.*' | sort -u); do
  grep -qxF -- "$option" <<<"$options" ||
    error "the man page mentions $option, which $name --help does not list"
done

help_codes=$(help_exit_codes "$help")
[ -n "$help_codes" ] || error "$name --help has no 'Exit status:' paragraph"
page_codes=$(awk '/^\.SH "?EXIT STATUS"?/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.B [0-9]+$/ { print $2 }' \
  "$page" | sort -un)
[ "$help_codes" = "$page_codes" ] ||
  error "exit codes: --help names $(oneline "$help_codes"), the EXIT STATUS section $(oneline "$page_codes")"

grep -q '^\.SH NAME' "$page" || error "no NAME section"
grep -q 'manual page for' "$page" && error "NAME is help2man's placeholder: is $name.h2m included?"
for section in SYNOPSIS DESCRIPTION OPTIONS EXAMPLES '"SEE ALSO"'; do
  grep -qE "^\.SH $section\$" "$page" || error "no $section section"
done
page_version=$(awk -F'"' '/^\.TH/ { print $6 }' "$page")
[[ $version == *"${page_version##* }" ]] ||
  error "the page is of version '$page_version', $name --version says '$version'"

if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || true
  [ -z "$warnings" ] || error "groff warns about the page: $warnings"
fi

[ "$fail" -eq 0 ] || exit 1
echo "$name.1: $(printf '%s\n' "$options" | grep -c -- '^--') long options of --help documented;" \
  "exit codes $(oneline "$help_codes")"
