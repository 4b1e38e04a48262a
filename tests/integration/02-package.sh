#!/bin/bash
# What a packaged tool has: man pages generated from the binary's own tables
# (every command, every key; groff finds nothing to warn about; a key without
# its text fails the generator), bash completion (commands, options, names,
# running names, keys and values, files), --version, and a staged install
# that uninstall empties again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

W=$BOX_ROOT/work
mkdir -p "$W"
MAN=$BUILD/man

PHASE="man pages"
for p in box.1 box.conf.5 boxes.conf.5; do check "$p is built" test -s "$MAN/$p"; done
missing=""
for c in $(box --help | awk '/^commands:/ {f = 1; next} f && /^  [a-z]/ {print $1}'); do
	grep -q "^\.SS box $c\b" "$MAN/box.1" || missing="$missing $c"
done
check_eq "box(1) has every command of box --help" "" "$missing"
missing=""
while IFS='|' read -r _ file key _; do
	key=$(echo "$key" | tr -d '`' | sed 's/^ *//; s/ *$//')
	file=$(echo "$file" | tr -d ' ')
	case $file in NAME.conf) page=box.conf.5 ;; boxes.conf) page=boxes.conf.5 ;; *) continue ;; esac
	grep -qF -- ".B $(echo "$key" | sed 's/-/\\-/g')" "$MAN/$page" || missing="$missing $file:$key"
done < <(box config keys)
check_eq "box.conf(5) and boxes.conf(5) have every key of box config keys" "" "$missing"
check_eq "groff -ww -z prints nothing" "" "$(groff -ww -z -man "$MAN"/box.1 "$MAN"/box.conf.5 "$MAN"/boxes.conf.5 2>&1)"
check_match "man renders box(1)" "box attach NAME" "$(MANWIDTH=100 man -l "$MAN/box.1" 2>&1)"
# a key without its meaning: the generator refuses (the build fails)
cat >"$W/fake-box" <<'SH'
#!/bin/sh
case "$*" in
"--version") echo "boxes 9" ;;
"--help") printf 'commands:\n  start      start it\n\n' ;;
"start --help") printf 'usage: box start NAME\n  Starts it.\n' ;;
"config keys") printf '| file | key | type | default | example | meaning |\n|---|---|---|---|---|---|\n| NAME.conf | `newkey` | number | 0 | `1` |  |\n' ;;
esac
SH
chmod +x "$W/fake-box"
out=$("$TOP/tools/mkman" "$W/fake-box" "$W/man" 2>&1); rc=$?
check_eq "mkman fails on a key without its text" 1 "$rc"
check_match "... naming it" "newkey has no meaning" "$out"
sed -i 's/|  |$/| what it does |/; s/start it/ /' "$W/fake-box"
out=$("$TOP/tools/mkman" "$W/fake-box" "$W/man" 2>&1); rc=$?
check_eq "mkman fails on a command without its summary" 1 "$rc"
check_match "... naming it" "command start has no summary" "$out"

PHASE="--version"
check_match "box --version" "^boxes [0-9a-z.+-]+$" "$(box --version)"

PHASE="completion"
rt_config "$T-web"
rt_config "$T-db"
box start "$T-db" >/dev/null
# comp WORDS...: what the completion offers for the last word, sorted, one line
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _box; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$TOP/conf/box.bash-completion" "$@"
}
check_match "commands" "^start stats stop $" "$(comp box st)"
check_match "a command's options" "--compress" "$(comp box export "$T-web" --com)"
check_eq "an option's values" "gzip none zstd " "$(comp box export "$T-web" --compress '')"
check_eq "configured names" "$T-db $T-web " "$(comp box start "$T-")"
check_eq "running names for stop" "$T-db " "$(comp box stop "$T-")"
check_eq "... and for box-stop" "$T-db " "$(comp box-stop "$T-")"
check_eq "keys for box set" "memory= " "$(comp box set "$T-web" memo)"
check_eq "a key's values" "storage=btrfs storage=dir storage=overlay " "$(comp box set "$T-web" storage=)"
check_eq "yes/no values" "autostart=yes " "$(comp box set "$T-web" autostart=y)"
touch "$W/web.tar.gz"
check_eq "files for import" "$W/web.tar.gz " "$(comp box import new "$W/web.t")"
check_eq "config subcommands" "check " "$(comp box config ch)"
box stop --kill "$T-db" >/dev/null

PHASE="install and uninstall"
S=$W/stage
out=$(make -C "$TOP" --no-print-directory install DESTDIR="$S" PREFIX=/usr 2>&1); rc=$?
check_eq "make install DESTDIR= exits 0" 0 "$rc"
for f in usr/bin/box usr/bin/box-start usr/share/man/man1/box.1 usr/share/man/man5/box.conf.5 \
	usr/share/man/man5/boxes.conf.5 usr/share/bash-completion/completions/box usr/lib/systemd/system/boxes-autostart.service \
	usr/share/boxes/templates/busybox; do
	check "installs /$f" test -e "$S/$f"
done
check_match "the unit runs the installed box" "ExecStart=/usr/bin/box" "$(cat "$S/usr/lib/systemd/system/boxes-autostart.service")"
check_match "the installed box runs" "^boxes " "$("$S/usr/bin/box" --version)"
out=$(make -C "$TOP" --no-print-directory uninstall DESTDIR="$S" PREFIX=/usr 2>&1); rc=$?
check_eq "make uninstall DESTDIR= exits 0" 0 "$rc"
check_eq "... leaves an empty tree" "" "$(find "$S" -mindepth 1 2>/dev/null)"
t_done
