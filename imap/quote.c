#include "imap/quote.h"
