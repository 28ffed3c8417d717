/* template.c: to be written */
#include "template.h"
