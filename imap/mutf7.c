#include "imap/mutf7.h"
