#include "imap/session.h"
