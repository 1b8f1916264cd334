#!/usr/bin/env bash
# Folder names a broken or hostile server lists (tests/harness/scenario-server): every
# folder gets exactly one directory, none escapes the mount, each directory opens the
# folder of that exact wire name, and one unreadable LIST line costs only its folder.
#
#   with-dovecot --fill=empty -- test_scenario_names.sh IMAPFS_EXE
# (Dovecot only provides the environment; the server here is the scenario server.)
# shellcheck source=mount-lib.sh
. "$(dirname "$0")/mount-lib.sh"

SC=$W/scenario.json
BODIES=$W/bodies
mkdir -p "$BODIES"

# The folders, as the hex of their wire bytes (delimiter "."): dots, a path that climbs,
# control characters, bare and non-canonical '&', 8-bit bytes, raw UTF-8 without
# UTF8=ACCEPT, a leading delimiter, and the pairs that used to share one directory.
WIRES=(
	494e424f58                 # INBOX
	2e2e                       # ..
	2e                         # .
	2e2e2f2e2e2f657463         # ../../etc
	610962                     # a<TAB>b
	63720d68657265             # cr<CR>here (sent as a literal)
	6c660a68657265             # lf<LF>here
	1b5b33316d726564           # <ESC>[31mred
	26                         # &
	262d                       # &-
	264a6a6f                   # &Jjo
	262d4a6a6f                 # &-Jjo
	fffe                       # two bytes that are not UTF-8
	52c3a973756dc3a9           # Résumé as raw UTF-8
	5226414f6b2d73756d26414f6b2d # R&AOk-sum&AOk- (the proper spelling)
	612641416b2d62             # a&AAk-b (a tab, encoded)
	2e6c656164                 # .lead
	6c656164                   # lead
	2f6c656164                 # /lead
	494e424f582e264a6a6f       # INBOX.&Jjo
	494e424f582e262d4a6a6f     # INBOX.&-Jjo
)

# One distinct message per folder, its Subject naming the folder's index.
make_scenario() { # EXTRA_JSON_KEYS
	python3 - "$SC" "$BODIES" "$1" "${WIRES[@]}" <<'EOF'
import json, sys
path, bodies, extra, wires = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
folders = []
for i, h in enumerate(wires):
    body = (f"From: t@example.org\r\nSubject: folder {i}\r\n"
            f"Message-ID: <f{i}@example.org>\r\n\r\nThe folder with wire name {h}.\r\n")
    with open(f"{bodies}/{i}.eml", "w", newline="") as f:
        f.write(body)
    folders.append({"name_hex": h, "uidvalidity": 7,
                    "messages": [{"uid": 3 + i, "text": body}]})
sc = {"delimiter": ".", "folders": folders}
sc.update(json.loads(extra or "{}"))
with open(path + ".tmp", "w") as f:
    json.dump(sc, f)
EOF
	mv "$SC.tmp" "$SC"
}

# What lies around the mount point (W/a/b/mnt), where "../../etc" would land if a
# name could climb: every path with its type, and a checksum of every file.
outside() {
	(cd "$W" && find a etc \( -path a/b/mnt -o -path a/b/copy \) -prune -o -printf '%y %p\n' |
		sort && find a etc \( -path a/b/mnt -o -path a/b/copy \) -prune -o -type f -print0 |
		sort -z | xargs -0 md5sum)
}

make_scenario ""
sc_start "$SC"
MNT=$W/a/b/mnt
mkdir -p "$W/a/b/etc" "$W/a/etc" "$W/etc"
for d in a/b/etc a/etc etc; do echo "keep $d" >"$W/$d/marker"; done
outside >"$W/outside.before"

if sc_mount "$MNT"; then
	# -- one directory per folder, holding that folder's message ---------------------
	(cd "$MNT" && find . -name '*.eml' -print0) >"$W/emls"
	declare -A DIR_OF=() SEEN_DIR=()
	dup=0
	while IFS= read -r -d '' f; do
		i=$(tr -d '\r' <"$MNT/$f" | sed -n 's/^Subject: folder \([0-9]*\)$/\1/p')
		[ -n "$i" ] || continue
		[ -n "${DIR_OF[$i]:-}" ] && dup=$((dup + 1))
		DIR_OF[$i]=$(dirname "$f")
		check "the message of folder $i (${WIRES[$i]}) reads back byte for byte" \
			cmp "$BODIES/$i.eml" "$MNT/$f"
	done <"$W/emls"
	check_eq "no folder's message shows twice" 0 "$dup"
	missing=()
	for i in "${!WIRES[@]}"; do
		d=${DIR_OF[$i]:-}
		if [ -z "$d" ]; then
			missing+=("${WIRES[$i]}")
			continue
		fi
		[ -n "${SEEN_DIR[$d]:-}" ] && missing+=("${WIRES[$i]} shares $d")
		SEEN_DIR[$d]=$i
	done
	check_eq "each of the ${#WIRES[@]} folders has a directory of its own" "" "${missing[*]}"
	check_eq "one .eml per folder" "${#WIRES[@]}" "$(tr -cd '\0' <"$W/emls" | wc -c)"

	# -- names: printable, never '.', '..' or a path; the pairs apart ---------------------
	(cd "$MNT" && find . -mindepth 1 -printf '%P\0') >"$W/entries"
	bad=$(tr '\0' '\n' <"$W/entries" | xargs -d '\n' -n1 basename |
		LC_ALL=C grep -c '[[:cntrl:]]')
	check_eq "no entry name holds a control character" 0 "$bad"
	check_eq "no entry is a name the kernel would not take" "" \
		"$(tr '\0' '\n' <"$W/entries" | grep -E '(^|/)\.\.?(/|$)')"
	ls -A "$MNT" >"$W/top"
	for pair in '%26Jjo &Jjo' '%26 &' '%2Elead lead' 'R%C3%A9sum%C3%A9 Résumé' \
		'a%09b a%26AAk-b'; do
		read -r x y <<<"$pair"
		check "the pair $x / $y are two directories" \
			sh -c 'grep -qxF -- "$1" "$3" && grep -qxF -- "$2" "$3"' _ "$x" "$y" "$W/top"
	done
	check "INBOX.&Jjo and INBOX.&-Jjo are two directories in INBOX" \
		test -d "$MNT/INBOX/%26Jjo" -a -d "$MNT/INBOX/&Jjo"
	check_eq "'..' and '.' are directories of their own, inside the mount" \
		"$MNT/%2E%2E $MNT/%2E" "$(cd "$MNT/%2E%2E" && pwd) $(cd "$MNT/%2E" && pwd)"

	# -- the server was asked for each exact wire name -------------------------------
	for h in "${WIRES[@]}"; do
		check "the server got SELECT/EXAMINE of exactly $h" \
			grep -qE "^c[0-9]+: (SELECT|EXAMINE) $h\$" "$SC_WIRE"
	done
	check_eq "nothing else was selected" "" \
		"$(sed -n 's/^c[0-9]*: \(SELECT\|EXAMINE\) //p' "$SC_WIRE" | sort -u |
			grep -vxF -f <(printf '%s\n' "${WIRES[@]}"))"

	# -- a copy of everything lands inside its destination --------------------------
	mkdir -p "$W/a/b/copy"
	check "cp -a of the whole mount succeeds" cp -a "$MNT/." "$W/a/b/copy/"
	check_eq "the copy has every message" "${#WIRES[@]}" \
		"$(find "$W/a/b/copy" -name '*.eml' | wc -l)"
	outside >"$W/outside.after"
	check_same "nothing outside the mount and the copy was touched" \
		"$W/outside.before" "$W/outside.after"
	# -- no folder made inside a name with an empty level: it would not show there ----
	check "mkdir inside %2Elead fails" sh -c '! mkdir "$1/%2Elead/x" 2>/dev/null' _ "$MNT"
	check_eq "and nothing was sent to the server" 0 "$(grep -c ': CREATE ' "$SC_LOG")"
	check "and the log says why" grep -qF 'the server'"'"'s name ".lead" has an empty level' \
		"${MT_ERR[$MNT]}"
	mt_umount_allowing "$MNT" 'mkdir x: .* has an empty level' &&
		ok "unmount, nothing else on stderr"
fi

# -- a NUL inside one LIST line costs that folder only, with one log line --------------
make_scenario '{"list_extra": ["* LIST () \".\" \"nul\u0000name\"", "* LIST () \".\" {8}", "lit\u0000name"]}'
MNT2=$W/mnt-nul
lists_before=$(grep -c ': LIST ' "$SC_LOG")
if sc_mount "$MNT2"; then
	ls "$MNT2" >/dev/null
	ls "$MNT2/INBOX" >/dev/null
	sleep 2.2 # past the listing's revalidation: a second LIST sees the same lines
	ls "$MNT2" >"$W/top-nul"
	check "the folders were listed more than once" \
		test "$(($(grep -c ': LIST ' "$SC_LOG") - lists_before))" -ge 2
	check "the other folders are all there" grep -qxF '%26Jjo' "$W/top-nul"
	check_eq "the unreadable folders have no directory" "" \
		"$(grep -E 'nul|lit' "$W/top-nul")"
	check "INBOX still reads" cmp "$BODIES/0.eml" "$MNT2/INBOX/0000000003.eml"
	mt_umount_allowing "$MNT2" 'a line of the folder list \(LIST\) cannot be read'
	err=${MT_ERR[$MNT2]}
	check_eq "one log line for each unreadable LIST line, however often it is listed" 2 \
		"$(grep -c 'a line of the folder list (LIST) cannot be read' "$err")"
	check "the log line quotes the server's line" grep -qF 'nul\x00name' "$err"
	check "the log line of the literal says what is wrong" grep -qF 'NUL in a string' "$err"
	check "nothing says 'cannot log in'" sh -c '! grep -q "cannot log in" "$1"' _ "$err"
fi

# -- a folder list the server refuses: the message names that step, not the login -----
make_scenario '{"list_status": "NO [UNAVAILABLE] the folder list is unavailable"}'
MNT3=$W/mnt-nolist
mkdir -p "$MNT3"
fails_with "a refused LIST stops the mount and says the folder list could not be read" \
	"cannot read the folder list of 127.0.0.1" \
	timeout 20 "$IMAPFS" -f -o "$(mt_opts "host=127.0.0.1,port=$SC_PORT,security=plain")" \
	"$MNT3"
check "the message quotes the server" grep -qF 'the folder list is unavailable' "$W/fail.out"
check "it does not say 'cannot log in'" sh -c '! grep -q "cannot log in" "$1"' _ "$W/fail.out"

mt_finish
