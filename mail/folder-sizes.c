/* imapfs mail — the sizes of bodies that differ from their RFC822.SIZE.
 *
 * Some servers announce sizes that are not the body's (Exchange's are approximate).
 * Once a body has been fetched its length is the truth, and a later listing that
 * announces the same wrong size again must not bring the wrong st_size back: each
 * correction is kept as (announced, real) for the folder's UIDVALIDITY, and a body in
 * the cache (verified there) stands for its own length after a remount.
 */
#include "mail/folder-internal.h"

typedef struct {
	guint64 announced, real;
} SizeFix;

static void fixes_reset(MailFolder *f, guint32 uidv)
{
	if (f->size_fixes && f->size_fixes_uidv == uidv)
		return;
	if (f->size_fixes)
		g_hash_table_unref(f->size_fixes);
	f->size_fixes = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	f->size_fixes_uidv = uidv;
}

void mail_folder_sizes_note(MailFolder *f, guint32 uidv, guint32 uid, guint64 announced,
			    guint64 real)
{
	SizeFix *x;

	fixes_reset(f, uidv);
	x = g_hash_table_lookup(f->size_fixes, GUINT_TO_POINTER(uid));
	if (!x) {
		x = g_new(SizeFix, 1);
		x->announced = announced; /* the server's first word, which it repeats */
		g_hash_table_insert(f->size_fixes, GUINT_TO_POINTER(uid), x);
	}
	x->real = real;
}

void mail_folder_sizes_apply(MailFolder *f, CacheFolderMeta *cur, CacheStore *cache)
{
	fixes_reset(f, cur->uidvalidity);
	for (guint i = 0; i < cur->msgs->len; i++) {
		CacheMsgMeta *m = &g_array_index(cur->msgs, CacheMsgMeta, i);
		SizeFix *x = g_hash_table_lookup(f->size_fixes, GUINT_TO_POINTER(m->uid));
		guint64 len;

		if (x && x->announced == m->size)
			m->size = x->real;
		else if (x)
			g_hash_table_remove(f->size_fixes, GUINT_TO_POINTER(m->uid));
		else if (cache &&
			 cache_body_peek(cache, f->mailbox, cur->uidvalidity, m->uid, &len) &&
			 len != m->size) {
			mail_folder_sizes_note(f, cur->uidvalidity, m->uid, m->size, len);
			m->size = len;
		}
	}
}

void mail_folder_sizes_free(MailFolder *f)
{
	if (f->size_fixes)
		g_hash_table_unref(f->size_fixes);
	f->size_fixes = NULL;
}
