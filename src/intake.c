/* intake.c: to be written */
#include "intake.h"
