/* SPDX-License-Identifier: BSD-3-Clause */
#include "debug/shell.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "core/cmdline.h"
#include "core/timer.h"
#include "debug/console.h"
#include "debug/log.h"
#include "debug/shell_priv.h"
#include "debug/uart16550.h"
#include "lib/string.h"

#define SHELL_LINE_MAX	  256
#define SHELL_PROMPT	  "ACRN:\\> "
#define SHELL_POLL_US	  10000
#define SHELL_POLL_IRQ_US 200000 /* with the receive interrupt routed */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits in place on blanks; returns the number of words (at most max). */
static int shell_split(char *line, char **argv, int max)
{
	int argc = 0;

	while (*line) {
		while (is_blank(*line))
			*line++ = '\0';
		if (!*line)
			break;
		if (argc == max)
			return max + 1;
		argv[argc++] = line;
		while (*line && !is_blank(*line))
			line++;
	}
	return argc;
}

void shell_execute(const char *text)
{
	char line[SHELL_LINE_MAX];
	char *argv[SHELL_MAX_ARGS + 1];
	int argc;

	if (strnlen(text, SHELL_LINE_MAX) >= SHELL_LINE_MAX) {
		console_printf("shell: command longer than %d characters ignored\n",
			       SHELL_LINE_MAX - 1);
		return;
	}
	str_copy(line, text, sizeof(line));
	argc = shell_split(line, argv, SHELL_MAX_ARGS + 1);
	if (argc == 0)
		return;
	for (unsigned int i = 0; i < shell_command_count; i++) {
		const struct shell_command *cmd = &shell_commands[i];

		if (strcmp(cmd->name, argv[0]) != 0)
			continue;
		if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
			console_printf("shell: usage: %s %s\n", cmd->name, cmd->usage);
			return;
		}
		cmd->run(argc, argv);
		return;
	}
	console_printf("shell: unknown command '%s'; type 'help' for the list\n", argv[0]);
}

static void shell_run_boot_command(void *ctx, const char *command)
{
	(void)ctx;
	console_printf("%s%s\n", SHELL_PROMPT, command);
	shell_execute(command);
}

/* Line editing: printable characters, backspace/delete, Ctrl-U, Enter. */
static void shell_handle_char(char *line, int *len, int c)
{
	if (c == '\r' || c == '\n') {
		console_write("\n", 1);
		line[*len] = '\0';
		shell_execute(line);
		*len = 0;
		console_write(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
	} else if (c == 0x08 || c == 0x7f) {
		if (*len > 0) {
			(*len)--;
			console_write("\b \b", 3);
		}
	} else if (c == 0x15) {
		while (*len > 0) {
			(*len)--;
			console_write("\b \b", 3);
		}
	} else if (c >= 0x20 && c < 0x7f && *len < SHELL_LINE_MAX - 1) {
		char ch = (char)c;

		line[(*len)++] = ch;
		console_write(&ch, 1);
	}
}

static char shell_line[SHELL_LINE_MAX];
static int shell_line_len;
static void (*vm_console_input)(uint8_t byte);
static bool console_to_vm;

void shell_attach_vm_console(void (*input)(uint8_t byte))
{
	vm_console_input = input;
	console_to_vm = input != NULL;
}

void shell_switch_console(bool to_vm)
{
	if (to_vm && !vm_console_input) {
		console_printf("shell: no VM console to switch to\n");
		return;
	}
	console_to_vm = to_vm;
	if (to_vm)
		console_printf("\n[console: Service VM; Ctrl+Space for the hypervisor shell]\n");
	else
		console_printf("\n[console: hypervisor shell; Ctrl+Space or 'vm_console' for the "
			       "Service VM]\n%s",
			       SHELL_PROMPT);
}

/*
 * Serves whatever arrived on the console; runs from the receive interrupt
 * or the poll timer, on the boot CPU. Ctrl+Space (a NUL byte, as upstream ACRN uses) moves the
 * input between the hypervisor shell and the Service VM's virtual COM1.
 */
static void shell_poll_tick(struct timer *timer)
{
	int c;

	(void)timer;
	while ((c = uart_read_char()) >= 0) {
		if (c == SHELL_SWITCH_KEY && vm_console_input)
			shell_switch_console(!console_to_vm);
		else if (console_to_vm)
			vm_console_input((uint8_t)c);
		else
			shell_handle_char(shell_line, &shell_line_len, c);
	}
}

static void console_rx_interrupt(uint32_t vector, struct trap_frame *frame)
{
	(void)vector;
	(void)frame;
	shell_poll_tick(NULL);
}

/*
 * Where the console is a legacy COM port, its receive interrupt serves the
 * input as it arrives: a paste at 115200 baud fills the 16-byte FIFO in
 * 1.4 ms, faster than the poll. The poll stays for MMIO UARTs and as a
 * safety net.
 */
static bool shell_route_console_irq(void)
{
	uint32_t isa_irq, gsi;
	bool level, active_low;

	isa_irq = uart_isa_irq();
	if (isa_irq == UART_NO_ISA_IRQ)
		return false;
	gsi = ioapic_isa_irq_to_gsi(isa_irq, &level, &active_low);
	if (irq_register(VECTOR_CONSOLE, console_rx_interrupt) != 0)
		return false;
	if (ioapic_program_gsi(gsi, VECTOR_CONSOLE, this_cpu()->apic_id, level, active_low,
			       false) != 0)
		return false;
	uart_enable_rx_interrupt();
	return true;
}

void shell_start(const char *boot_commands)
{
	static struct timer poll_timer;

	if (boot_commands && boot_commands[0])
		cmdline_for_each_shell_cmd(boot_commands, shell_run_boot_command, NULL);
	if (!uart_enabled()) {
		pr_info("shell: no console (uart=disabled)");
		return;
	}
	if (console_to_vm)
		console_printf("[console: Service VM; Ctrl+Space for the hypervisor shell]\n");
	else
		console_write(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
	/*
	 * Input arrives by the UART's receive interrupt where it has one (a
	 * legacy COM port), and by a periodic poll: every 10 ms without the
	 * interrupt (MMIO UARTs), every 200 ms as a safety net with it. Both run
	 * on this CPU; with a guest running here, they exit it.
	 */
	uint64_t period = shell_route_console_irq() ? SHELL_POLL_IRQ_US : SHELL_POLL_US;

	timer_start(&poll_timer, rdtsc() + tsc_from_us(period), tsc_from_us(period),
		    shell_poll_tick, NULL);
}
