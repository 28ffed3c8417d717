/* mailout.c: to be written */
#include "mailout.h"
