/* quote.c: to be written */
#include "quote.h"
