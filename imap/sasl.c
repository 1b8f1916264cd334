#include "imap/sasl.h"
