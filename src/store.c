/* store.c: to be written */
#include "store.h"
