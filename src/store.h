#ifndef PD_STORE_H
#define PD_STORE_H
#endif
