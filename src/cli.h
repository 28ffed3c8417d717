#ifndef PD_CLI_H
#define PD_CLI_H
#endif
