#include "imap/transport.h"
