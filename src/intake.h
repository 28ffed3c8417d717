#ifndef PD_INTAKE_H
#define PD_INTAKE_H
#endif
