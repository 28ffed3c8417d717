/* imap_watch.c: to be written */
#include "watch.h"
#include "timers.h"
