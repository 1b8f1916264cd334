#!/usr/bin/env bash
# A server's refusal of an APPEND reaches the user as the errno its response code names,
# and a refusal without a code that says the mailbox is full as EDQUOT (the one guess
# from the server's words); the log line has the server's own words; the APPEND is sent
# once, never retried. Against tests/harness/scenario-server, which refuses as told.
#
#   with-dovecot --fill=empty -- test_scenario_refusals.sh IMAPFS_EXE
# shellcheck source=mount-lib.sh
. "$(dirname "$0")/mount-lib.sh"

cat >"$W/scenario.json" <<'JSON'
{"folders": [
  {"name": "INBOX", "uidvalidity": 5, "messages": []},
  {"name": "Full", "uidvalidity": 6, "messages": []},
  {"name": "Coded", "uidvalidity": 7, "messages": []},
  {"name": "Mine", "uidvalidity": 8, "messages": []},
  {"name": "Odd", "uidvalidity": 9, "messages": []}],
 "append_status": {
  "Full": "NO Over quota",
  "Coded": "NO [OVERQUOTA] Quota exceeded (mailbox for user is full)",
  "Mine": "NO [NOPERM] Permission denied for this mailbox",
  "Odd": "NO [X-STRANGE] Something else went wrong"}}
JSON
printf 'From: a@example.org\r\nSubject: refused\r\n\r\nbody\r\n' >"$W/msg.eml"
sc_start "$W/scenario.json"
MNT=$W/mnt
sc_mount "$MNT" || exit 1
ls "$MNT" >/dev/null

# FOLDER ERRNO_TEXT SERVER_WORDS
refused() {
	local before
	before=$(grep -c "APPEND" "$SC_LOG" 2>/dev/null)
	fails_with "cp into $1 (the server says '$3')" "$2" cp "$W/msg.eml" "$MNT/$1/"
	check_eq "$1: the APPEND was sent once, not retried" "$((before + 1))" \
		"$(grep -c "APPEND" "$SC_LOG")"
	check "$1: the log names the folder and has the server's words" \
		grep -q "$1.*$3" "${MT_ERR[$MNT]}"
}
refused Full "Disk quota exceeded" "Over quota"
refused Coded "Disk quota exceeded" "Quota exceeded (mailbox for user is full)"
refused Mine "Permission denied" "Permission denied for this mailbox"
refused Odd "Input/output error" "Something else went wrong"
mt_umount_allowing "$MNT" "refused|Over quota|Quota exceeded|Permission denied|went wrong"
mt_finish
