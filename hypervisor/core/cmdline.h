/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hypervisor command line (from Multiboot2). The same line is later appended
 * to the Service VM's Linux command line, so it normally also carries Linux
 * options: anything that is not ours is counted and left alone.
 *
 * Options: uart=port@<num> | uart=mmio@<addr> | uart=disabled,
 *          loglevel=<0..6>, shell_cmds=<cmd>[;<cmd>...]
 * Numbers are hex with a 0x prefix or decimal. A double-quoted part of a
 * token keeps its blanks (shell_cmds="vm_list; cpus"); the quotes are removed.
 */
#ifndef HV_CORE_CMDLINE_H
#define HV_CORE_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

enum uart_kind { UART_KIND_PORT, UART_KIND_MMIO, UART_KIND_DISABLED };

#define CMDLINE_SHELL_CMDS_MAX 1024

#define CMDLINE_TAG_MAX		   32
#define CMDLINE_DEFAULT_KERNEL_TAG "Linux_bzImage" /* upstream ACRN's tags */
#define CMDLINE_DEFAULT_INITRD_TAG "Linux_initrd"

enum apicv_mode {
	APICV_ON,	 /* what the CPU offers, minus features with a known erratum */
	APICV_OFF,	 /* every local APIC access emulated */
	APICV_NO_VID,	 /* register virtualization without virtual-interrupt delivery */
	APICV_FORCE_VID, /* virtual-interrupt delivery even with a known erratum */
};

struct hv_options {
	enum uart_kind uart_kind;
	uint64_t uart_base; /* default: UART_KIND_PORT, 0x3f8 */
	int loglevel;	    /* console log level 0..6, default LOG_LEVEL_DEFAULT */
	bool has_shell_cmds;
	/*
	 * apicv=: how the Service VM's local APIC is virtualized. on (default):
	 * APIC-register virtualization where the CPU has it, with virtual-
	 * interrupt delivery unless the platform has a known erratum in it;
	 * vid: virtual-interrupt delivery even then; novid: never; off: every
	 * access emulated.
	 */
	enum apicv_mode apicv;
	/* Module tags of the Service VM's kernel and initrd (kernel_tag=, initrd_tag=). */
	char kernel_tag[CMDLINE_TAG_MAX];
	char initrd_tag[CMDLINE_TAG_MAX];
	char shell_cmds[CMDLINE_SHELL_CMDS_MAX]; /* raw "cmd;cmd args;..." */
	uint32_t unknown_count; /* options that are not ours (left for the Service VM) */
	uint32_t error_count;	/* options of ours with a bad value */
};

void cmdline_defaults(struct hv_options *opts);

/*
 * A number as options (and shell commands) take it: hex with 0x/0X, else
 * decimal ("010" is ten); the whole string, no sign, no overflow.
 */
bool cmdline_parse_u64(const char *s, uint64_t *out);

/*
 * Resets *opts to the defaults, then applies the whole line (NULL = empty).
 * Never fails: a bad value keeps the previous setting and pr_err says which
 * option, which value and what is expected. Later options override earlier.
 */
void cmdline_parse(const char *cmdline, struct hv_options *opts);

/*
 * Splits shell_cmds: calls fn(ctx, command) for each non-empty ';'-separated
 * command with surrounding blanks trimmed. Returns the number of commands.
 * A command longer than CMDLINE_SHELL_CMDS_MAX - 1 is skipped with a pr_err.
 */
int cmdline_for_each_shell_cmd(const char *shell_cmds, void (*fn)(void *ctx, const char *cmd),
			       void *ctx);

#endif
