/* message.c: to be written */
#include "message.h"
