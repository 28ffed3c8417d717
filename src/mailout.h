#ifndef PD_MAILOUT_H
#define PD_MAILOUT_H
#endif
