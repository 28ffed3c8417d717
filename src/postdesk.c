/* postdesk.c: the command line tool; see cli.c. */
#include "cli.h"
#include "parser.h"

int
main(int argc, char **argv)
{
	int rc = parser_child_main(argc, argv);

	if (rc >= 0)
		return rc;	/* we were the parser child (parser.h) */
	return cli_main(argc, argv);
}
