#include "imap/error.h"

G_DEFINE_QUARK(imap-error-quark, imap_error)
