#include "imap/body.h"
