#include "imap/config.h"
