/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HV_DEBUG_SHELL_PRIV_H
#define HV_DEBUG_SHELL_PRIV_H

#define SHELL_MAX_ARGS 8

struct shell_command {
	const char *name;
	const char *usage;
	const char *help;
	int min_args, max_args; /* not counting the command name */
	void (*run)(int argc, char **argv);
};

extern const struct shell_command shell_commands[];
extern const unsigned int shell_command_count;

#endif
