/* imapfs — the envelope of a message: walk the header block once, parse the address
 * fields, and cut the Bcc fields out of what will be sent. */
#include "smtp/envelope.h"
#include "smtp/error.h"
#include "smtp/address.h"
#include "smtp/config.h"

#include <string.h>

/* One header field: its bytes in the message, continuation lines included. */
typedef struct {
	gsize start;
	gsize end; /* after its last line end */
	gsize name_len;
	gsize value_off; /* after the colon */
} Field;

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean invalid(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, SMTP_ERROR, SMTP_ERROR_INVALID, msg);
	return FALSE;
}

/* The length of the field name at p when the line is a field ("Name:" or the obsolete
 * "Name :"), else 0. */
static gsize field_name_len(const char *p, gsize len, gsize *colon)
{
	gsize n = 0;

	while (n < len && p[n] > ' ' && p[n] < 0x7f && p[n] != ':')
		n++;
	gsize c = n;
	while (c < len && (p[c] == ' ' || p[c] == '\t'))
		c++;
	if (n == 0 || c >= len || p[c] != ':')
		return 0;
	*colon = c;
	return n;
}

static gsize line_end(const char *p, gsize len, gsize pos)
{
	const char *nl = memchr(p + pos, '\n', len - pos);
	return nl ? (gsize)(nl - p) + 1 : len;
}

static gboolean is_blank_line(const char *p, gsize pos, gsize end)
{
	return end - pos == 0 || (end - pos == 1 && p[pos] == '\n') ||
	       (end - pos == 2 && p[pos] == '\r' && p[pos + 1] == '\n');
}

/* Splits the header block into fields; FALSE when the message does not start with one. */
static gboolean read_fields(const char *p, gsize len, GArray *fields, GError **error)
{
	gsize pos = 0;
	guint line = 0;

	while (pos < len) {
		gsize end = line_end(p, len, pos), colon = 0;

		line++;
		if (is_blank_line(p, pos, end))
			break;
		if (end > SMTP_MAX_HEADER_BYTES)
			return invalid(error, "the header block is longer than %u bytes",
				       SMTP_MAX_HEADER_BYTES);
		if (p[pos] == ' ' || p[pos] == '\t') {
			if (fields->len == 0)
				return invalid(error, "the message does not start with a header "
						      "field");
			g_array_index(fields, Field, fields->len - 1).end = end;
		} else {
			gsize n = field_name_len(p + pos, end - pos, &colon);
			if (!n && fields->len == 0)
				return invalid(error, "the message has no header block (its first "
						      "line is not a header field)");
			if (!n)
				return invalid(error,
					       "line %u of the header block is not a header "
					       "field",
					       line);
			Field f = {pos, end, n, pos + colon + 1};
			g_array_append_val(fields, f);
		}
		pos = end;
	}
	if (fields->len == 0)
		return invalid(error, "the message has no header block");
	return TRUE;
}

static gboolean field_is(const char *p, const Field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	       g_ascii_strncasecmp(p + f->start, name, f->name_len) == 0;
}

/* The field's body unfolded: CR and LF dropped, the white space after them kept. */
static char *unfold(const char *p, const Field *f, gsize *len)
{
	GString *s = g_string_sized_new(f->end - f->value_off);

	for (gsize i = f->value_off; i < f->end; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			g_string_append_c(s, p[i]);
	}
	*len = s->len;
	return g_string_free(s, FALSE);
}

static gboolean parse_field(const char *p, const Field *f, GPtrArray *out, GError **error)
{
	gsize len;
	g_autofree char *value = unfold(p, f, &len);
	g_autoptr(GError) err = NULL;

	if (smtp_address_list_parse(value, len, out, &err))
		return TRUE;
	return invalid(error, "%.*s: %s", (int)f->name_len, p + f->start, err->message);
}

static void add_unique(GPtrArray *recipients, char *addr)
{
	for (guint i = 0; i < recipients->len; i++) {
		if (g_ascii_strcasecmp(g_ptr_array_index(recipients, i), addr) == 0) {
			g_free(addr);
			return;
		}
	}
	g_ptr_array_add(recipients, addr);
}

static gboolean collect_recipients(const char *p, GArray *fields, GPtrArray *recipients,
				   GError **error)
{
	static const char *const kinds[] = {"To", "Cc", "Bcc", NULL};

	for (const char *const *k = kinds; *k; k++) {
		for (guint i = 0; i < fields->len; i++) {
			const Field *f = &g_array_index(fields, Field, i);
			g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);

			if (!field_is(p, f, *k))
				continue;
			if (!parse_field(p, f, found, error))
				return FALSE;
			for (guint j = 0; j < found->len; j++)
				add_unique(recipients, g_steal_pointer(&found->pdata[j]));
		}
	}
	if (recipients->len == 0)
		return invalid(error, "the message has no recipients (no address in To, Cc "
				      "or Bcc)");
	if (recipients->len > SMTP_MAX_RECIPIENTS)
		return invalid(error, "the message has more than %u recipients",
			       SMTP_MAX_RECIPIENTS);
	return TRUE;
}

/* The single address of the first field called name; NULL (error unset) when absent. */
static char *single_address(const char *p, GArray *fields, const char *name, GError **error)
{
	for (guint i = 0; i < fields->len; i++) {
		const Field *f = &g_array_index(fields, Field, i);
		g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);

		if (!field_is(p, f, name))
			continue;
		if (!parse_field(p, f, found, error))
			return NULL;
		if (found->len != 1) {
			invalid(error, "%s: names %u addresses; the sender must be one", name,
				found->len);
			return NULL;
		}
		return g_steal_pointer(&found->pdata[0]);
	}
	return NULL;
}

static char *find_sender(const char *p, GArray *fields, const char *override, GError **error)
{
	GError *err = NULL;
	char *addr;

	if (override) {
		g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
		if (!smtp_address_list_parse(override, strlen(override), found, &err)) {
			invalid(error, "the configured sender: %s", err->message);
			g_error_free(err);
			return NULL;
		}
		if (found->len != 1) {
			invalid(error, "the configured sender must be one address");
			return NULL;
		}
		return g_steal_pointer(&found->pdata[0]);
	}
	addr = single_address(p, fields, "From", &err);
	if (addr)
		return addr;
	/* Several authors: RFC 5322 then requires Sender:, the one who sends. */
	if (err) {
		addr = single_address(p, fields, "Sender", NULL);
		if (addr) {
			g_error_free(err);
			return addr;
		}
		g_propagate_error(error, err);
		return NULL;
	}
	invalid(error, "the message has no From: field (or configure a sender address)");
	return NULL;
}

/* The message without its Bcc fields; a new reference to the input when it has none. */
static GBytes *without_bcc(GBytes *message, const char *p, gsize len, GArray *fields)
{
	g_autoptr(GByteArray) out = NULL;
	gsize copied = 0;

	for (guint i = 0; i < fields->len; i++) {
		const Field *f = &g_array_index(fields, Field, i);
		if (!field_is(p, f, "Bcc"))
			continue;
		if (!out)
			out = g_byte_array_sized_new(len);
		g_byte_array_append(out, (const guint8 *)p + copied, f->start - copied);
		copied = f->end;
	}
	if (!out)
		return g_bytes_ref(message);
	g_byte_array_append(out, (const guint8 *)p + copied, len - copied);
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

static gboolean has_high_bit(const char *p, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if ((guchar)p[i] >= 0x80)
			return TRUE;
	}
	return FALSE;
}

static void classify(SmtpEnvelope *env, const char *p, GArray *fields)
{
	gsize header_end = g_array_index(fields, Field, fields->len - 1).end;
	gsize len;
	const char *msg = g_bytes_get_data(env->message, &len);

	env->eight_bit = has_high_bit(msg, len);
	env->needs_smtputf8 =
	    has_high_bit(p, header_end) || has_high_bit(env->sender, strlen(env->sender));
	for (guint i = 0; i < env->recipients->len; i++) {
		const char *r = g_ptr_array_index(env->recipients, i);
		env->needs_smtputf8 |= has_high_bit(r, strlen(r));
	}
}

SmtpEnvelope *smtp_envelope_parse(GBytes *message, const char *sender, GError **error)
{
	gsize len;
	const char *p = g_bytes_get_data(message, &len);
	g_autoptr(GArray) fields = g_array_new(FALSE, FALSE, sizeof(Field));
	g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *from = NULL;
	SmtpEnvelope *env;

	if (len > SMTP_MAX_MESSAGE_BYTES) {
		invalid(error, "the message is larger than %u bytes", SMTP_MAX_MESSAGE_BYTES);
		return NULL;
	}
	if (len && memchr(p, '\0', len)) {
		invalid(error, "the message contains NUL bytes, which SMTP cannot carry");
		return NULL;
	}
	if (!read_fields(p, len, fields, error) ||
	    !collect_recipients(p, fields, recipients, error))
		return NULL;
	from = find_sender(p, fields, sender, error);
	if (!from)
		return NULL;
	env = g_new0(SmtpEnvelope, 1);
	env->sender = g_steal_pointer(&from);
	env->recipients = g_steal_pointer(&recipients);
	env->message = without_bcc(message, p, len, fields);
	classify(env, p, fields);
	return env;
}

void smtp_envelope_free(SmtpEnvelope *env)
{
	if (!env)
		return;
	g_free(env->sender);
	g_clear_pointer(&env->recipients, g_ptr_array_unref);
	g_clear_pointer(&env->message, g_bytes_unref);
	g_free(env);
}
