#ifndef PD_IMPORT_H
#define PD_IMPORT_H
#endif
