/* import.c: to be written */
#include "import.h"
