/* token.c: to be written */
#include "token.h"
