/* imapfs cache — mapping keys (account, folder, uidvalidity, uid) to paths.
 *
 * Folder and account names come from the server or the user and may be anything:
 * "../../etc", names with '/', 10 kB long names. None of them is ever used as a path
 * component; each becomes "<readable prefix>-<hash>", so the tree stays inside the
 * cache directory and the name stays short. The real name is recorded in a file inside.
 */
#include "cache/cache-private.h"

#include <string.h>

/* Enough of the name for a person browsing the cache; the hash makes it unique. */
#define KEY_PREFIX_MAX 32
/* 128 bits of SHA-256: collisions are not a practical concern. */
#define KEY_HASH_HEX 32

static gboolean is_safe_char(char ch)
{
	return g_ascii_isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
}

char *cache_key_name(const char *name)
{
	g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, name, -1);
	GString *out = g_string_sized_new(KEY_PREFIX_MAX + 1 + KEY_HASH_HEX);

	for (const char *p = name; *p && out->len < KEY_PREFIX_MAX; p++)
		g_string_append_c(out, is_safe_char(*p) ? *p : '_');
	/* A leading '.' would hide the directory and collide with temp/drop names. */
	if (out->len == 0 || out->str[0] == '.' || out->str[0] == '-')
		g_string_prepend_c(out, '_');
	g_string_append_c(out, '-');
	g_string_append_len(out, hash, KEY_HASH_HEX);
	return g_string_free(out, FALSE);
}

char *cache_folder_path(CacheStore *c, const char *folder)
{
	g_autofree char *key = cache_key_name(folder);

	return g_build_filename(c->folders, key, NULL);
}

char *cache_validity_path(CacheStore *c, const char *folder, guint32 uidvalidity)
{
	g_autofree char *dir = cache_folder_path(c, folder);

	return g_strdup_printf("%s/%u", dir, uidvalidity);
}

char *cache_body_path(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid)
{
	g_autofree char *dir = cache_folder_path(c, folder);

	return g_strdup_printf("%s/%u/%u", dir, uidvalidity, uid);
}

gboolean cache_parse_u32(const char *name, guint32 *out)
{
	guint64 v = 0;

	if (!name[0] || strlen(name) > 10)
		return FALSE;
	for (const char *p = name; *p; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
		v = v * 10 + (guint64)(*p - '0');
	}
	if (v > G_MAXUINT32)
		return FALSE;
	*out = (guint32)v;
	return TRUE;
}

char *cache_folder_ensure(CacheStore *c, const char *folder, GError **error)
{
	g_autofree char *path = cache_folder_path(c, folder);
	g_autofree char *name_file = g_build_filename(path, "name", NULL);

	if (!cache_mkdir_private(path, error))
		return NULL;
	/* The directory name is a hash: record the real name for people and tools. */
	if (!g_file_test(name_file, G_FILE_TEST_EXISTS) &&
	    !cache_write_file_atomic(name_file, folder, strlen(folder), error))
		return NULL;
	return g_steal_pointer(&path);
}
