/* classify.c: to be written */
#include "classify.h"
