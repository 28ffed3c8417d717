/* notify.c: to be written */
#include "notify.h"
