/* imapfs fs — the folder hierarchy: mailbox names from LIST split by the delimiter into
 * directories. Each directory knows its children as entry name -> child mailbox name,
 * which also records the names that cannot be unescaped (long, hashed ones, raw wire
 * bytes): the mailbox kept is the session's name, which gives the exact wire name back,
 * never one re-encoded from the entry name. Entry names come from fs_name_of_component
 * (fs_name_of_mailbox for a name with an empty level, kept whole at the top).
 * Intermediate levels that the server did not list are directories without messages,
 * like \Noselect folders.
 *
 * Thread safe; lookups copy what they return (caller frees with g_free/g_ptr_array_unref).
 */
#pragma once

#include <glib.h>
#include "imap/session.h"

G_BEGIN_DECLS

typedef struct FsTree FsTree;

FsTree *fs_tree_new(void);
void fs_tree_free(FsTree *t); /* accepts NULL */

/* Rebuild from a LIST result (GPtrArray of ImapMailbox). */
void fs_tree_set(FsTree *t, GPtrArray *mailboxes, char delimiter);
/* Adds one folder LISTed on its own (one made by another client), with its parents. */
void fs_tree_add(FsTree *t, const ImapMailbox *mb, char delimiter);
/* A leading, doubled or trailing DELIM in MAILBOX: a level with no name, which the tree
 * keeps as one entry at the top rather than as a path. */
gboolean fs_tree_has_empty_level(const char *mailbox, char delim);
/* TRUE the first time WHY (an unreadable LIST line) is noted: report it once. */
gboolean fs_tree_note_unreadable(FsTree *t, const char *why);
/* Monotonic time (us) of the last fs_tree_set, 0 if never. */
gint64 fs_tree_listed_at(FsTree *t);

/* Does MAILBOX exist as a directory? *selectable: does it hold messages. */
gboolean fs_tree_dir(FsTree *t, const char *mailbox, gboolean *selectable);
/* The child mailbox of PARENT called NAME, or NULL. */
char *fs_tree_child(FsTree *t, const char *parent, const char *name);
/* Snapshot of PARENT's children: entry names (sorted) in names, mailboxes in mailboxes
 * (same order). FALSE if PARENT is not a directory. */
gboolean fs_tree_children(FsTree *t, const char *parent, GPtrArray **names, GPtrArray **mailboxes);
guint fs_tree_count(FsTree *t);

G_END_DECLS
