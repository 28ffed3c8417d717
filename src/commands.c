/* commands.c: to be written */
#include "commands.h"
