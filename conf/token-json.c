/* imapfs — the token endpoint's JSON object (see token-json.h). */
#include "conf/token-json.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "conf/secret.h"
#include "imap/error.h"

#define MAX_DEPTH 64

static void malformed(GError **error, gsize at, const char *what)
{
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
		    "malformed JSON at byte %" G_GSIZE_FORMAT ": %s", at, what);
}

/* json-glib would overflow the stack on "[[[[...": count brackets outside strings. */
static gboolean depth_ok(const char *text, gsize len, GError **error)
{
	gboolean in_string = FALSE;
	int depth = 0;

	for (gsize i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
		} else if (c == '"') {
			in_string = TRUE;
		} else if ((c == '[' || c == '{') && ++depth > MAX_DEPTH) {
			malformed(error, i, "nested deeper than 64 levels");
			return FALSE;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return TRUE;
}

/* json-glib says "<data>:LINE:COLUMN: Parse error: ..."; we say the byte. */
static gsize offset_of(const char *text, gsize len, const char *message)
{
	unsigned line = 0, col = 0;
	gsize at = 0;

	if (sscanf(message, "<data>:%u:%u:", &line, &col) != 2)
		return 0;
	for (unsigned l = 1; l < line && at < len; at++)
		if (text[at] == '\n')
			l++;
	return MIN(at + (col ? col - 1 : 0), len);
}

/* Counts the members parsed into each object: more than it holds means a key came twice. */
static void count_member(JsonParser *parser, JsonObject *object, const char *name, gpointer counts)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, object));

	g_hash_table_insert(counts, object, GUINT_TO_POINTER(n + 1));
}

static char *scalar_text(JsonNode *node)
{
	if (!JSON_NODE_HOLDS_VALUE(node))
		return NULL;
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return g_strdup(json_node_get_string(node));
	case G_TYPE_INT64:
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
	case G_TYPE_DOUBLE: {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];
		return g_strdup(g_ascii_dtostr(buf, sizeof(buf), json_node_get_double(node)));
	}
	default:
		return NULL; /* true, false */
	}
}

static void wipe_value(gpointer value)
{
	conf_secret_free(value);
}

static GHashTable *scalars_of(JsonObject *object)
{
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, wipe_value);
	JsonObjectIter iter;
	const char *name;
	JsonNode *node;

	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &name, &node)) {
		char *value = scalar_text(node);

		if (value)
			g_hash_table_insert(fields, g_strdup(name), value);
	}
	return fields;
}

GHashTable *conf_token_json_fields(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GHashTable) counts = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GError) err = NULL;
	JsonObject *root;

	if (!depth_ok(text, len, error))
		return NULL;
	g_signal_connect(parser, "object-member", G_CALLBACK(count_member), counts);
	if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
		malformed(error, offset_of(text, len, err->message), err->message);
		return NULL;
	}
	if (!json_parser_get_root(parser) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		malformed(error, 0, "not an object");
		return NULL;
	}
	root = json_node_get_object(json_parser_get_root(parser));
	if (GPOINTER_TO_UINT(g_hash_table_lookup(counts, root)) != json_object_get_size(root)) {
		malformed(error, 0, "a key given twice");
		return NULL;
	}
	return scalars_of(root);
}
