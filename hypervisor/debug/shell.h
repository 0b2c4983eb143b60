/* SPDX-License-Identifier: BSD-3-Clause */
/* The hypervisor shell on the console. */
#ifndef HV_DEBUG_SHELL_H
#define HV_DEBUG_SHELL_H

/* Runs one command line; prints a clear message for unknown commands or bad arguments. */
void shell_execute(const char *line);
/* Runs the boot option's commands, then serves the console from a timer on this CPU. */
void shell_start(const char *boot_commands);

#endif
