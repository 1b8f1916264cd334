# shellcheck shell=bash
# Start and stop a private Dovecot in a directory of its own.  Sourced by
# with-dovecot (tests) and scripts/demo; both run as root.
#
# Call dv_init DIR, set the DV_* options below if the defaults do not suit,
# then dv_start; dv_stop DIR undoes everything and only needs the directory,
# so a reaper process can clean up after a harness that was SIGKILLed.
#
# Options (set before dv_start):
#   DV_DELIM  "." (maildir:~/Maildir) or "/" (maildir:~/Maildir:LAYOUT=fs)
#   DV_FILL   "corpus" or "empty"
#   DV_CAPS   imap_capability, empty for Dovecot's own list
#   DV_TLS    "yes" or "no"
#   DV_QUOTA  storage quota rule (e.g. 10M); quota is always on so GETQUOTAROOT works
#   DV_CORPUS the sample mail: IMAPFS_CORPUS when set (a directory of the same
#             layout, e.g. real mail), else what gen-corpus writes into DIR/corpus
#   DV_OAUTH2 "yes": an oauth2 passdb (XOAUTH2, OAUTHBEARER) that checks tokens at
#             http://127.0.0.1:DV_OAUTH2_PORT/tokeninfo?access_token=TOKEN, a port
#             reserved here for the test's own token service
# Results (after dv_start): DV_PORT DV_TLS_PORT DV_SILENT_PORT DV_CONF DV_CA DV_LOG
#   DV_OAUTH2_PORT

DV_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DV_USER=alice
# Distinctive, so "the password leaked" checks cannot match ordinary words like "secrets".
DV_PASSWORD=pw-7Qz2-alice
DV_START_ATTEMPTS=4
DV_GREETING_TIMEOUT=10

dv_init()
{
	DV_DIR=$1
	DV_DELIM=.
	DV_FILL=corpus
	DV_CAPS=
	DV_TLS=yes
	DV_QUOTA=1G
	DV_OAUTH2=no
	DV_OAUTH2_PORT=
	DV_CORPUS=${IMAPFS_CORPUS:-$DV_DIR/corpus}
	DV_CONF=$DV_DIR/dovecot.conf
	DV_CA=$DV_DIR/cert.pem
	DV_LOG=$DV_DIR/dovecot.log
	DV_MANIFEST=$DV_DIR/manifest
	DV_HOME=$DV_DIR/home/$DV_USER
}

# A throwaway certificate: it names localhost and 127.0.0.1 but not
# 127.0.0.2, which is what the wrong-host test connects to.
dv_make_cert()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 30 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$DV_DIR/key.pem" -out "$DV_CA" 2>/dev/null
	chmod 600 "$DV_DIR/key.pem"
}

dv_make_passdb()
{
	# Written without the password ever being on a command line.
	printf '%s:{PLAIN}%s\n' "$DV_USER" "$DV_PASSWORD" >"$DV_DIR/passwd"
	chown root:dovecot "$DV_DIR/passwd"
	chmod 640 "$DV_DIR/passwd"
}

# The project's own sample mail, written afresh for each server (well under a
# second), so nothing outside the checkout is needed.
dv_make_corpus()
{
	[[ -d $DV_CORPUS ]] && return 0
	python3 "$DV_LIB_DIR/gen-corpus" "$DV_CORPUS"
}

dv_fill_mail()
{
	local layout=dot
	[[ $DV_DELIM == / ]] && layout=fs
	dv_make_corpus
	mkdir -p "$DV_HOME/Maildir"
	if [[ $DV_FILL == corpus ]]; then
		python3 "$DV_LIB_DIR/fill-maildir" "$DV_HOME/Maildir" "$layout" \
			"$DV_CORPUS" "$DV_MANIFEST"
	else
		: >"$DV_MANIFEST"
	fi
	chown -R dovecot:dovecot "$DV_DIR/home"
}

dv_write_conf()
{
	local port=$1 tls_port=$2 location='maildir:~/Maildir'
	[[ $DV_DELIM == / ]] && location='maildir:~/Maildir:LAYOUT=fs'
	{
		cat <<-CONF
		instance_name = imapfs-test-${DV_DIR##*/}
		base_dir = $DV_DIR/run
		state_dir = $DV_DIR/state
		log_path = $DV_LOG
		protocols = imap
		listen = 127.0.0.1, 127.0.0.2
		default_login_user = dovenull
		default_internal_user = dovecot
		default_internal_group = dovecot
		first_valid_uid = 0
		disable_plaintext_auth = no
		auth_verbose = yes
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN username_format=%u $DV_DIR/passwd
		}
		userdb {
		  driver = static
		  args = uid=dovecot gid=dovecot home=$DV_DIR/home/%u
		}
		mail_location = $location
		mail_plugins = \$mail_plugins quota
		protocol imap {
		  mail_plugins = \$mail_plugins imap_quota
		  mail_max_userip_connections = 50
		}
		imap_idle_notify_interval = 5 secs
		plugin {
		  quota = count:User quota
		  quota_rule = *:storage=$DV_QUOTA
		  quota_vsizes = yes
		}
		service anvil {
		  chroot =
		}
		CONF
		dv_write_auth_conf
		if [[ -n $DV_CAPS ]]; then
			echo "imap_capability = $DV_CAPS"
		fi
		if [[ $DV_TLS == yes ]]; then
			cat <<-CONF
			ssl = yes
			ssl_cert = <$DV_CA
			ssl_key = <$DV_DIR/key.pem
			CONF
			[[ -r /usr/share/dovecot/dh.pem ]] &&
				echo "ssl_dh = </usr/share/dovecot/dh.pem"
		else
			echo "ssl = no"
		fi
		echo "service imap-login {"
		echo "  chroot ="
		echo "  inet_listener imap {"
		echo "    port = $port"
		echo "  }"
		if [[ $DV_TLS == yes ]]; then
			echo "  inet_listener imaps {"
			echo "    port = $tls_port"
			echo "    ssl = yes"
			echo "  }"
		fi
		echo "}"
	} >"$DV_CONF"
}

# The mechanisms, and with DV_OAUTH2 an oauth2 passdb used for the OAuth mechanisms
# only (so passwords never reach the token service).
dv_write_auth_conf()
{
	if [[ $DV_OAUTH2 != yes ]]; then
		echo "auth_mechanisms = plain login cram-md5"
		return
	fi
	cat >"$DV_DIR/dovecot-oauth2.conf.ext" <<-CONF
	tokeninfo_url = http://127.0.0.1:$DV_OAUTH2_PORT/tokeninfo?access_token=
	username_attribute = email
	CONF
	cat <<-CONF
	auth_mechanisms = plain login cram-md5 xoauth2 oauthbearer
	passdb {
	  driver = oauth2
	  mechanisms = xoauth2 oauthbearer
	  args = $DV_DIR/dovecot-oauth2.conf.ext
	}
	CONF
}

dv_start_silent()
{
	local i
	python3 "$DV_LIB_DIR/harness-net" silent "$DV_DIR/silent.port" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$DV_DIR/silent.pid"
	for ((i = 0; i < 100; i++)); do
		[[ -s $DV_DIR/silent.port ]] && break
		sleep 0.05
	done
	DV_SILENT_PORT=$(cat "$DV_DIR/silent.port")
}

# Ports are picked free and then handed to Dovecot, so a parallel test can
# take one in between: retry with fresh ports when Dovecot does not come up.
dv_start_dovecot()
{
	local attempt ports
	for ((attempt = 1; attempt <= DV_START_ATTEMPTS; attempt++)); do
		read -r DV_PORT DV_TLS_PORT < <(python3 "$DV_LIB_DIR/harness-net" free-ports 2)
		dv_write_conf "$DV_PORT" "$DV_TLS_PORT"
		if dovecot -c "$DV_CONF" </dev/null >>"$DV_LOG" 2>&1 &&
			python3 "$DV_LIB_DIR/harness-net" wait-greeting 127.0.0.1 \
				"$DV_PORT" "$DV_GREETING_TIMEOUT"; then
			return 0
		fi
		dv_stop_dovecot "$DV_DIR"
	done
	echo "with-dovecot: Dovecot did not start; its log:" >&2
	cat "$DV_LOG" >&2 || true
	return 1
}

dv_start()
{
	mkdir -p "$DV_DIR"
	# Dovecot's unprivileged processes must reach the homes and sockets.
	chmod 755 "$DV_DIR"
	: >"$DV_LOG"
	dv_make_cert
	dv_make_passdb
	dv_fill_mail
	dv_start_silent
	if [[ $DV_OAUTH2 == yes ]]; then
		DV_OAUTH2_PORT=$(python3 "$DV_LIB_DIR/harness-net" free-ports 1)
	fi
	dv_start_dovecot
}

dv_export()
{
	export IMAPFS_TEST_HOST=127.0.0.1
	export IMAPFS_TEST_PORT=$DV_PORT
	if [[ $DV_TLS == yes ]]; then
		export IMAPFS_TEST_TLS_PORT=$DV_TLS_PORT
	else
		unset IMAPFS_TEST_TLS_PORT
	fi
	export IMAPFS_TEST_SILENT_PORT=$DV_SILENT_PORT
	export IMAPFS_TEST_CA=$DV_CA
	export IMAPFS_TEST_WRONG_HOST=127.0.0.2
	export IMAPFS_TEST_USER=$DV_USER
	export IMAPFS_TEST_PASSWORD=$DV_PASSWORD
	export IMAPFS_TEST_DOVECOT_CONF=$DV_CONF
	export IMAPFS_TEST_DIR=$DV_DIR
	export IMAPFS_TEST_DELIM=$DV_DELIM
	export IMAPFS_TEST_LOG=$DV_LOG
	export IMAPFS_TEST_MANIFEST=$DV_MANIFEST
	export IMAPFS_CORPUS=$DV_CORPUS
	if [[ $DV_OAUTH2 == yes ]]; then
		export IMAPFS_TEST_OAUTH2_PORT=$DV_OAUTH2_PORT
	fi
}

dv_stop_dovecot()
{
	local dir=$1 pid i
	[[ -s $dir/run/master.pid ]] || return 0
	pid=$(cat "$dir/run/master.pid")
	doveadm -c "$dir/dovecot.conf" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$dir/run/master.pid"
}

dv_unmount_under()
{
	local dir=$1 mnt
	# Deepest first, so nested mounts come off before their parents.
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r mnt; do
			mnt=$(printf '%b' "${mnt//\\/\\0}")
			fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
		done
}

dv_stop()
{
	local dir=$1
	[[ -n $dir && -d $dir ]] || return 0
	dv_unmount_under "$dir"
	dv_stop_dovecot "$dir"
	if [[ -s $dir/silent.pid ]]; then
		kill "$(cat "$dir/silent.pid")" 2>/dev/null || true
	fi
	rm -rf "$dir"
}

# Runs detached in its own session: if the harness (PID) dies without
# cleaning up (SIGKILL from a test runner's timeout), stop Dovecot anyway;
# Dovecot daemonizes, so nothing else would.
dv_reap()
{
	local pid=$1 dir=$2
	while kill -0 "$pid" 2>/dev/null && [[ -d $dir ]]; do
		sleep 1
	done
	dv_stop "$dir"
}

dv_start_reaper()
{
	local dir=$1
	setsid bash -c '. "$0"; dv_reap "$1" "$2"' "$DV_LIB_DIR/dovecot-lib.sh" "$$" "$dir" \
		</dev/null >/dev/null 2>&1 &
}
