/**
 * @file richeta.h
 * @brief Umbrella header of libricheta: include this one.
 */
#ifndef RICHLAZY_RICHETA_H
#define RICHLAZY_RICHETA_H

#include <richlazy/version.h>
#include <richlazy/common.h>
#include <richlazy/config.h>
#include <richlazy/model.h>
#include <richlazy/optim.h>
#include <richlazy/sched.h>
#include <richlazy/stream.h>
#include <richlazy/trainer.h>
#include <richlazy/data.h>
#include <richlazy/timewarp.h>
#include <richlazy/diag.h>
#include <richlazy/sweep.h>

#endif /* RICHLAZY_RICHETA_H */
