/* imapfs mail — message file names (see msg-name.h). */
#include "mail/msg-name.h"

#include <string.h>

void mail_msg_name(guint32 uid, char out[MAIL_MSG_NAME_LEN + 1])
{
	g_snprintf(out, MAIL_MSG_NAME_LEN + 1, "%010u.eml", uid);
}

gboolean mail_msg_name_parse(const char *name, guint32 *uid)
{
	guint64 v = 0;

	if (strlen(name) != MAIL_MSG_NAME_LEN || strcmp(name + 10, ".eml") != 0)
		return FALSE;
	for (int i = 0; i < 10; i++) {
		if (name[i] < '0' || name[i] > '9')
			return FALSE;
		v = v * 10 + (guint64)(name[i] - '0');
	}
	if (v == 0 || v > G_MAXUINT32)
		return FALSE;
	*uid = (guint32)v;
	return TRUE;
}
