#include "imap/response.h"
#include "imap/error.h"
