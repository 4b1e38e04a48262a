#!/bin/bash
# The multi-call binary: links, help, exit statuses.
. "$(dirname "$0")/lib.sh"

PHASE="help"
check "box alone lists the commands" sh -c 'box | grep -q "^  start "'
check "box --help lists the commands" sh -c 'box --help | grep -q "^  export "'
out=$(box frobnicate 2>&1); rc=$?
check_eq "an unknown command exits 2" 2 "$rc"
check_match "an unknown command gives a hint" "box --help" "$out"
for c in create destroy start stop restart attach console ls info stats set apply freeze unfreeze export import config; do
	check "box-$c --help" sh -c "box-$c --help | grep -q '^usage: box $c'"
	check "box $c --help" sh -c "box $c --help | grep -q '^usage: box $c'"
done
