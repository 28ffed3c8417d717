/* json.c: to be written */
#include "json.h"
