/* cli.c: to be written */
#include "cli.h"
