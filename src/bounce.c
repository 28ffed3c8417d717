/* bounce.c: to be written */
#include "bounce.h"
