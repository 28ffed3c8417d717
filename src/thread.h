#ifndef PD_THREAD_H
#define PD_THREAD_H
#endif
