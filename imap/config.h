/* imapfs — how to reach and log in to one IMAP account.
 *
 * Filled in by conf/ (options, config file) and read by the session. The connection,
 * credentials and trace are a NetConfig (net/config.h) in "net"; what only IMAP needs
 * stays here. imap_config_clear() wipes the secrets, frees everything and accepts
 * NULL; imap_config_copy() makes a deep copy.
 */
#pragma once

#include <glib.h>
#include "net/config.h"

G_BEGIN_DECLS

typedef struct {
	NetConfig net; /* net.port 0: 993 for TLS and AUTO, 143 otherwise */

	/* Large body literals are spooled here (unlinked temp files); NULL: g_get_tmp_dir() */
	char *spool_dir;
} ImapConfig;

void imap_config_init(ImapConfig *cfg);	 /* defaults: TLS, verify on, 1.2 */
void imap_config_clear(ImapConfig *cfg); /* frees members, wipes secrets */
void imap_config_copy(ImapConfig *dst, const ImapConfig *src);

guint16 imap_config_port(const ImapConfig *cfg); /* the effective port */

G_END_DECLS
