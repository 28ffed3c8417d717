/* thread.c: to be written */
#include "thread.h"
