/* imapfs cache — the names that messages written through the mount keep (see cache.h).
 *
 * One journal per folder, DIR/<account>/f/<folder-key>/names:
 *   "imapfs-names 1 <uidvalidity>\n"
 *   "<uid> <name, g_strescape'd>\n"   the message UID is shown as NAME
 *   "<uid>\n"                         UID has no name of its own any more
 * A record is one append, so a cp of 10,000 files costs 10,000 small appends, not
 * 10,000 rewrites of a growing file. A crash can only cut the last line, which has no
 * newline then and is ignored. cache_names_rewrite() compacts it.
 */
#include "cache/cache-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAMES_MAGIC "imapfs-names 1 "
#define NAMES_MAX_BYTES (64 * 1024 * 1024) /* a larger file is not ours: ignored */

static char *names_path(CacheStore *c, const char *folder)
{
	g_autofree char *dir = cache_folder_path(c, folder);

	return g_build_filename(dir, "names", NULL);
}

static GHashTable *names_new(void)
{
	return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
}

/* One record line (without its newline) into NAMES. FALSE: not a record. */
static gboolean apply_line(GHashTable *names, char *line)
{
	char *end = NULL;
	guint64 uid;

	errno = 0;
	uid = g_ascii_strtoull(line, &end, 10);
	if (errno || end == line || uid == 0 || uid > G_MAXUINT32)
		return FALSE;
	if (*end == '\0') {
		g_hash_table_remove(names, GUINT_TO_POINTER((guint)uid));
		return TRUE;
	}
	if (*end != ' ' || !end[1])
		return FALSE;
	g_hash_table_insert(names, GUINT_TO_POINTER((guint)uid), g_strcompress(end + 1));
	return TRUE;
}

GHashTable *cache_names_load(CacheStore *c, const char *folder, guint32 uidvalidity, guint *records,
			     GError **error)
{
	g_autofree char *path = names_path(c, folder);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	GHashTable *names = names_new();
	gsize len = 0;
	char *line, *nl;
	guint n = 0;

	*records = 0;
	if (!g_file_get_contents(path, &text, &len, &err)) {
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_propagate_error(error, g_steal_pointer(&err));
			g_hash_table_unref(names);
			return NULL;
		}
		return names;
	}
	g_autofree char *head = g_strdup_printf(NAMES_MAGIC "%u\n", uidvalidity);
	/* Another generation of the folder, or not a names file: no names. */
	if (len > NAMES_MAX_BYTES || !g_str_has_prefix(text, head))
		return names;
	for (line = text + strlen(head); (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (apply_line(names, line))
			n++;
	}
	*records = n;
	return names;
}

static gboolean append_text(const char *path, const char *text, GError **error)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	gboolean ok;

	if (fd < 0) {
		cache_set_errno(error, errno, "cannot open", path);
		return FALSE;
	}
	ok = cache_write_all(fd, text, strlen(text), path, error);
	close(fd);
	return ok;
}

static void append_record(GString *out, guint32 uid, const char *name)
{
	g_autofree char *esc = name ? g_strescape(name, NULL) : NULL;

	if (esc)
		g_string_append_printf(out, "%u %s\n", uid, esc);
	else
		g_string_append_printf(out, "%u\n", uid);
}

gboolean cache_names_record(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			    const char *name, GError **error)
{
	g_autofree char *dir = cache_folder_ensure(c, folder, error);
	g_autofree char *path = NULL;
	g_autoptr(GString) rec = g_string_new(NULL);
	guint32 have = 0;

	if (!dir)
		return FALSE;
	path = g_build_filename(dir, "names", NULL);
	if (!cache_names_peek_validity(path, &have) || have != uidvalidity) {
		/* Missing, or of another generation: start the journal afresh. */
		g_autoptr(GHashTable) none = names_new();

		if (!cache_names_rewrite(c, folder, uidvalidity, none, error))
			return FALSE;
	}
	append_record(rec, uid, name);
	return append_text(path, rec->str, error);
}

gboolean cache_names_rewrite(CacheStore *c, const char *folder, guint32 uidvalidity,
			     GHashTable *names, GError **error)
{
	g_autofree char *dir = cache_folder_ensure(c, folder, error);
	g_autofree char *path = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	GHashTableIter it;
	gpointer k, v;

	if (!dir)
		return FALSE;
	path = g_build_filename(dir, "names", NULL);
	g_string_append_printf(out, NAMES_MAGIC "%u\n", uidvalidity);
	g_hash_table_iter_init(&it, names);
	while (g_hash_table_iter_next(&it, &k, &v))
		append_record(out, GPOINTER_TO_UINT(k), v);
	return cache_write_file_atomic(path, out->str, out->len, error);
}

gboolean cache_names_peek_validity(const char *path, guint32 *out)
{
	char buf[64] = {0};
	FILE *f = fopen(path, "re");
	gboolean ok;

	if (!f)
		return FALSE;
	ok = fgets(buf, sizeof(buf), f) && g_str_has_prefix(buf, NAMES_MAGIC) &&
	     cache_parse_u32(g_strchomp(buf + strlen(NAMES_MAGIC)), out);
	fclose(f);
	return ok;
}

gboolean cache_names_move(CacheStore *c, const char *from, const char *to, GError **error)
{
	g_autofree char *src = names_path(c, from);
	g_autofree char *dir = NULL;
	g_autofree char *dst = NULL;

	if (!g_file_test(src, G_FILE_TEST_EXISTS))
		return TRUE;
	if (!(dir = cache_folder_ensure(c, to, error)))
		return FALSE;
	dst = g_build_filename(dir, "names", NULL);
	if (rename(src, dst) != 0) {
		cache_set_errno(error, errno, "cannot move", src);
		return FALSE;
	}
	return TRUE;
}
