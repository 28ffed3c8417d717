/* html.c: to be written */
#include "html.h"
