/* postdesk.c: the command line tool; see cli.c. */
#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
