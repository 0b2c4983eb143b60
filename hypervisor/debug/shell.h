/* SPDX-License-Identifier: BSD-3-Clause */
/* The hypervisor shell on the console. */
#ifndef HV_DEBUG_SHELL_H
#define HV_DEBUG_SHELL_H

#include <stdbool.h>
#include <stdint.h>

/* Runs one command line; prints a clear message for unknown commands or bad arguments. */
void shell_execute(const char *line);
/* Runs the boot option's commands, then serves the console from a timer on this CPU. */
void shell_start(const char *boot_commands);

/* NUL, which terminals send for Ctrl+Space (and Ctrl+@). */
#define SHELL_SWITCH_KEY 0x00
/*
 * A VM's console: input goes to it (through input) while it is selected;
 * attaching selects it. Call before shell_start().
 */
void shell_attach_vm_console(void (*input)(uint8_t byte));
/* Moves the console input to the VM (true) or to the hypervisor shell. */
void shell_switch_console(bool to_vm);

#endif
