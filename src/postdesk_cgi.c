/* postdesk.cgi: the status page; everything lives in cgi.c. */
#include "cgi.h"

int
main(void)
{
	return cgi_main();
}
