/* cli.h: the `postdesk` command (SPEC 9).  postdesk.c's main only
 * calls cli_main; everything else lives here so tests can link it. */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <glib.h>

#include "store.h"

/* Run the command line; returns the sysexits code for exit(). */
int cli_main(int argc, char **argv);

/* Append the JSON object of SPEC 9 for t; with msgs (struct
 * pd_stored_message *) the "messages" array too, else without it. */
void cli_json_ticket(GString *out, const struct pd_ticket *t, GPtrArray *msgs);

#endif
