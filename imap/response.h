/* imapfs — one parsed server response, as the session layer consumes it.
 *
 * The parser (imap/parser.h) turns bytes into these. Every string is UTF-8 where the
 * protocol allows (mailbox names are left as sent on the wire: modified UTF-7 unless
 * UTF8=ACCEPT is enabled; the session decodes them).
 *
 * Ownership: an ImapResponse owns everything it points to; imap_response_free()
 * releases it all and accepts NULL.
 */
#pragma once

#include <glib.h>
#include "imap/body.h"
#include "imap/resp-code.h"

G_BEGIN_DECLS

typedef enum {
	IMAP_RESP_TAGGED,       /* "A1 OK ..." */
	IMAP_RESP_UNTAGGED,     /* "* ..." */
	IMAP_RESP_CONTINUATION, /* "+ ..." */
} ImapRespKind;

typedef enum {
	IMAP_STATUS_NONE = 0,
	IMAP_STATUS_OK,
	IMAP_STATUS_NO,
	IMAP_STATUS_BAD,
	IMAP_STATUS_PREAUTH,
	IMAP_STATUS_BYE,
} ImapStatus;

typedef enum {
	IMAP_UNTAGGED_STATUS = 0, /* * OK/NO/BAD/PREAUTH/BYE [code] text */
	IMAP_UNTAGGED_CAPABILITY,
	IMAP_UNTAGGED_ENABLED,
	IMAP_UNTAGGED_LIST,
	IMAP_UNTAGGED_LSUB,
	IMAP_UNTAGGED_STATUS_DATA, /* * STATUS mailbox (MESSAGES n ...) */
	IMAP_UNTAGGED_FLAGS,
	IMAP_UNTAGGED_EXISTS,
	IMAP_UNTAGGED_RECENT,
	IMAP_UNTAGGED_EXPUNGE,
	IMAP_UNTAGGED_VANISHED,
	IMAP_UNTAGGED_FETCH,
	IMAP_UNTAGGED_SEARCH,
	IMAP_UNTAGGED_ESEARCH,
	IMAP_UNTAGGED_NAMESPACE,
	IMAP_UNTAGGED_QUOTA,
	IMAP_UNTAGGED_QUOTAROOT,
	IMAP_UNTAGGED_OTHER,	  /* understood syntactically, not used by imapfs */
	IMAP_UNTAGGED_UNREADABLE, /* a whole LIST/LSUB line that cannot be read; text: why */
} ImapUntaggedType;

/* A UID or sequence set, as ranges in the order the server sent them. */
typedef struct {
	guint32 first;
	guint32 last; /* == first for a single number; first <= last after parsing */
} ImapRange;

typedef struct {
	ImapCodeType type;
	char *name;          /* the code atom, upper-cased ("UIDNEXT") */
	guint64 number;      /* UIDNEXT, UIDVALIDITY, UNSEEN, HIGHESTMODSEQ */
	guint32 uidvalidity; /* APPENDUID, COPYUID */
	GArray *src_uids;    /* ImapRange; COPYUID */
	GArray *dst_uids;    /* ImapRange; APPENDUID, COPYUID */
	char **list;         /* CAPABILITY, PERMANENTFLAGS (NULL-terminated) */
	char *arg;           /* raw text of any other code's argument, or NULL */
} ImapRespCode;

/* LIST / LSUB */
typedef struct {
	char **flags;   /* "\\Noselect", "\\HasChildren", ... as sent */
	char delimiter; /* '\0' for NIL */
	char *mailbox;  /* as on the wire (astring, decoded from quoting/literal) */
} ImapListData;

/* STATUS mailbox (...) ; a field is -1 when absent */
typedef struct {
	char *mailbox;
	gint64 messages, recent, uidnext, uidvalidity, unseen, highestmodseq, size;
} ImapStatusData;

typedef enum {
	IMAP_FETCH_UID = 1 << 0,
	IMAP_FETCH_FLAGS = 1 << 1,
	IMAP_FETCH_INTERNALDATE = 1 << 2,
	IMAP_FETCH_SIZE = 1 << 3,
	IMAP_FETCH_MODSEQ = 1 << 4,
	IMAP_FETCH_BODY = 1 << 5, /* BODY[...] or BINARY[...] (see body_binary) */
} ImapFetchFields;

typedef struct {
	guint32 seq;
	guint fields; /* ImapFetchFields present in this response */
	guint32 uid;
	char **flags;       /* NULL-terminated; present iff IMAP_FETCH_FLAGS */
	gint64 internaldate; /* seconds since the epoch, UTC */
	guint64 size;       /* RFC822.SIZE */
	guint64 modseq;
	char *body_section;  /* "" for BODY[], "HEADER" for BODY[HEADER], ... */
	gint64 body_origin;  /* the <origin> of a partial fetch, or -1 */
	gboolean body_binary; /* BINARY[...] rather than BODY[...] */
	ImapBody *body;      /* NULL when the server sent NIL */
	/* Items whose value cannot be used (UID 0, an INTERNALDATE that is not a date): their
	 * bits are here instead of in fields, so the rest of the line still counts. unusable
	 * is the first such item as the server sent it (escaped, at most
	 * IMAP_FETCH_UNUSABLE_MAX bytes), NULL when there is none. */
	guint unusable_fields;
	char *unusable;
} ImapFetchData;

#define IMAP_FETCH_UNUSABLE_MAX 120

/* ESEARCH / SEARCH */
typedef struct {
	char *tag;      /* the (TAG "x") correlator, or NULL */
	gboolean uid;   /* UID indicator */
	gint64 min, max, count; /* -1 when absent */
	GArray *all;    /* ImapRange, or NULL */
	GArray *numbers; /* guint32, plain SEARCH results */
} ImapSearchData;

/* One namespace: prefix + delimiter */
typedef struct {
	char *prefix;
	char delimiter;
} ImapNamespace;

typedef struct {
	GArray *personal; /* ImapNamespace; NULL for NIL */
	GArray *other;
	GArray *shared;
} ImapNamespaceData;

typedef struct {
	char *name;      /* resource name, e.g. "STORAGE" */
	guint64 usage;
	guint64 limit;
} ImapQuotaResource;

typedef struct {
	char *root;
	GArray *resources; /* ImapQuotaResource */
} ImapQuotaData;

typedef struct {
	char *mailbox;
	char **roots;
} ImapQuotaRootData;

typedef struct {
	ImapRespKind kind;
	char *tag;                 /* tagged responses only */
	ImapUntaggedType type;     /* untagged responses only */
	ImapStatus status;         /* tagged, and untagged STATUS type */
	ImapRespCode code;         /* [CODE ...] of status responses; type NONE if absent */
	char *text;                /* human-readable text of status / continuation */
	guint32 number;            /* EXISTS, RECENT, EXPUNGE */
	char **list;               /* CAPABILITY, ENABLED, FLAGS (NULL-terminated) */
	gboolean vanished_earlier; /* VANISHED (EARLIER) */
	GArray *vanished;          /* ImapRange */
	ImapListData list_data;
	ImapStatusData status_data;
	ImapFetchData fetch;
	ImapSearchData search;
	ImapNamespaceData ns;
	ImapQuotaData quota;
	ImapQuotaRootData quotaroot;
} ImapResponse;

void imap_response_free(ImapResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapResponse, imap_response_free)

/* The refusal of WHAT ("the FETCH") by the tagged response TAGGED (NO or BAD):
 * IMAP_ERROR_NO or IMAP_ERROR_BAD, message "server refused WHAT: [CODE arg] text",
 * carrying TAGGED's code and text (imap/error.h). Returns a new error. */
GError *imap_response_refusal(const ImapResponse *tagged, const char *what);

/* "[NAME arg] " of a response code as the server sent it, or "" for none. Returns a
 * newly allocated string. */
char *imap_resp_code_format(const ImapRespCode *code);

/* Is the capability (case-insensitive) in a NULL-terminated list? NULL list → FALSE. */
gboolean imap_caps_has(char *const *caps, const char *cap);

/* A canonical one-line dump of every field (bodies included, escaped), for tests and
 * traces. Returns a newly allocated string; NULL response → "(null)". */
char *imap_response_to_string(const ImapResponse *r);

G_END_DECLS
