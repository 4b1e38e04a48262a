#!/bin/bash
# The multi-call binary: links, help, exit statuses.
. "$(dirname "$0")/lib.sh"

PHASE="help"
# every command of the table (box --help), each checked below
CMDS=$(box --help | awk '/^commands:/ {f = 1; next} f && /^  [a-z]/ {print $1} f && /^$/ {exit}')
check_match "box --help lists every command" "^create .* log$" "$(echo $CMDS)"
check "box alone lists the commands" sh -c 'box | grep -q "^  start "'
check "box --help lists the commands" sh -c 'box --help | grep -q "^  export "'
out=$(box frobnicate 2>&1); rc=$?
check_eq "an unknown command exits 2" 2 "$rc"
check_match "an unknown command gives a hint" "box --help" "$out"
for c in $CMDS; do
	check "box-$c --help" sh -c "box-$c --help | grep -q '^usage: box $c'"
	check "box $c --help" sh -c "box $c --help | grep -q '^usage: box $c'"
done

PHASE="options after the name"
t_config "$T-opt" <<<'hostname = opt'
out=$(box stop "$T-opt" -t 3 2>&1); rc=$?
check_eq "box stop NAME -t 3: the option is taken (stopped container: exit 1)" 1 "$rc"
check_match "... and the message is about the container, not the usage" "is not running" "$out"
out=$(box destroy "$T-opt" --purge 2>&1)
check_eq "box destroy NAME --purge removes the config" "" "$(ls "$BOX_ROOT/etc/boxes/")"

PHASE="README"
missing=$(box config keys | while IFS= read -r l; do grep -qxF -- "$l" "$TOP/README.md" || echo "$l"; done)
check_eq "the README's config reference is 'box config keys' line for line" "" "$missing"
for c in $CMDS; do
	u=$(box $c --help | head -1)
	grep -qxF -- "$u" "$TOP/README.md" || missing="$missing $c"
done
check_eq "the README shows every command's usage" "" "$missing"

PHASE="make demo on a fresh machine (pkg-config only after deps)"
# pkg-config finds nothing until "deps" has run, as on a machine without the
# -dev packages: a make that read its flags before deps cannot build.
M=$BOX_ROOT/make
mkdir -p "$M/bin"
cat >"$M/bin/pkg-config" <<PC
#!/bin/sh
[ -e "$M/deps-done" ] || exit 1
exec /usr/bin/pkg-config "\$@"
PC
chmod +x "$M/bin/pkg-config"
out=$(PATH="$M/bin:$PATH" make -C "$TOP" --no-print-directory -j2 BUILD="$M/build" CFLAGS=-O0 \
	DEPS="touch $M/deps-done" DEMO="touch $M/demo-ran" demo 2>&1); rc=$?
check_eq "make demo builds when the packages come with its own deps step" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
check "... the binary it built runs" "$M/build/box" --help
check "... and the demo step ran after the build" test -e "$M/demo-ran"

t_done
