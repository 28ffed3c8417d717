/* tnef.c: to be written */
#include "tnef.h"
