#include "imap/parser.h"
