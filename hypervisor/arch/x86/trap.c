/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/trap.h"
#include "arch/x86/vmx.h"

#include <stdarg.h>
#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "debug/console.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "debug/uart16550.h"
#include "lib/format.h"

#define STACK_TRACE_MAX_FRAMES 16

uint64_t hv_load_delta;
static irq_handler_fn irq_handlers[256];
static volatile int machine_stopping;

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD error",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
};

int irq_register(unsigned int vector, irq_handler_fn handler)
{
	if (vector < VECTOR_FIRST_EXTERNAL || vector > 255)
		return -EINVAL;
	if (irq_handlers[vector])
		return -EBUSY;
	irq_handlers[vector] = handler;
	return 0;
}

/* Walks the frame-pointer chain, trusting only addresses inside this CPU's stacks. */
static void print_stack_trace(uint64_t rbp, uint64_t stack_low, uint64_t stack_high)
{
	console_printf("Stack trace (run-time address / address in acrn.map):\n");
	for (int i = 0; i < STACK_TRACE_MAX_FRAMES; i++) {
		uint64_t *frame = (uint64_t *)(uintptr_t)rbp;
		uint64_t ret;

		if (rbp < stack_low || rbp + 16 > stack_high || (rbp & 7))
			break;
		ret = frame[1];
		if (!ret)
			break;
		console_printf("  #%d 0x%016llx / 0x%llx\n", i, (unsigned long long)ret,
			       (unsigned long long)(ret - hv_load_delta));
		rbp = frame[0];
	}
}

static void stop_other_cpus(void)
{
	struct per_cpu *self = this_cpu();

	machine_stopping = 1;
	for (uint32_t i = 0; i < cpu_count; i++) {
		struct per_cpu *cpu = &per_cpu_data[i];

		if (cpu != self && (cpu->state == CPU_ONLINE || cpu->state == CPU_VMX_ROOT))
			lapic_send_nmi(cpu->apic_id);
	}
}

static void dump_frame(const struct trap_frame *f)
{
	console_printf("RIP %016llx (acrn.map %llx)  CS %04llx  RFLAGS %016llx\n",
		       (unsigned long long)f->rip, (unsigned long long)(f->rip - hv_load_delta),
		       (unsigned long long)f->cs, (unsigned long long)f->rflags);
	console_printf("RSP %016llx  SS %04llx  CR0 %016llx  CR2 %016llx\n",
		       (unsigned long long)f->rsp, (unsigned long long)f->ss,
		       (unsigned long long)read_cr0(), (unsigned long long)read_cr2());
	console_printf("CR3 %016llx  CR4 %016llx\n", (unsigned long long)read_cr3(),
		       (unsigned long long)read_cr4());
	console_printf("RAX %016llx  RBX %016llx  RCX %016llx  RDX %016llx\n",
		       (unsigned long long)f->rax, (unsigned long long)f->rbx,
		       (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	console_printf("RSI %016llx  RDI %016llx  RBP %016llx  R8  %016llx\n",
		       (unsigned long long)f->rsi, (unsigned long long)f->rdi,
		       (unsigned long long)f->rbp, (unsigned long long)f->r8);
	console_printf("R9  %016llx  R10 %016llx  R11 %016llx  R12 %016llx\n",
		       (unsigned long long)f->r9, (unsigned long long)f->r10,
		       (unsigned long long)f->r11, (unsigned long long)f->r12);
	console_printf("R13 %016llx  R14 %016llx  R15 %016llx\n", (unsigned long long)f->r13,
		       (unsigned long long)f->r14, (unsigned long long)f->r15);
}

static void stack_bounds(struct per_cpu *cpu, uint64_t *low, uint64_t *high)
{
	*low = cpu->stack_top - HV_STACK_SIZE;
	*high = cpu->stack_top;
}

static __attribute__((noreturn)) void exception_stop(struct trap_frame *f)
{
	struct per_cpu *cpu = this_cpu();
	const char *name = f->vector < 32 ? exception_names[f->vector] : NULL;
	uint64_t low, high;

	irq_disable();
	console_force_unlock();
	stop_other_cpus();
	console_printf("\n*** HYPERVISOR PANIC: CPU %u: exception %llu (%s), error code 0x%llx\n",
		       cpu->index, (unsigned long long)f->vector, name ? name : "reserved",
		       (unsigned long long)f->error_code);
	dump_frame(f);
	stack_bounds(cpu, &low, &high);
	print_stack_trace(f->rbp, low, high);
	console_printf("*** hypervisor stopped\n");
	cpu_halt_forever();
}

void irq_dispatch_vector(uint32_t vector)
{
	struct per_cpu *cpu = this_cpu();

	cpu->interrupt_count[vector & 0xff]++;
	if (vector == VECTOR_SPURIOUS)
		return;
	if (vector < 256 && irq_handlers[vector])
		irq_handlers[vector](vector, NULL);
	else
		pr_warn("trap: CPU %u: interrupt on unused vector 0x%x ignored", cpu->index,
			vector);
	lapic_eoi();
}

/* Set by `cpu_dump N`: the NMI that follows prints where that CPU is. */
static volatile uint32_t nmi_dump_requested[HV_MAX_CPUS];

void cpu_request_nmi_dump(uint32_t index)
{
	if (index >= cpu_count)
		return;
	nmi_dump_requested[index] = 1;
	lapic_send_nmi(per_cpu_data[index].apic_id);
}

/*
 * Returns true when the NMI was a dump request (and the dump is printed).
 * It writes to the UART without the console lock: the interrupted code may
 * hold it, and waiting for it here would hang this CPU for good.
 */
static void uart_write_line(const char *line, size_t n, size_t size)
{
	/* format_buf returns the untruncated length. */
	uart_write(line, n < size ? n : size - 1);
}

static bool nmi_dump(const struct trap_frame *f)
{
	struct per_cpu *cpu = this_cpu();
	uint64_t low, high, rbp;
	char line[160];
	size_t n;

	if (!__atomic_exchange_n(&nmi_dump_requested[cpu->index], 0, __ATOMIC_ACQ_REL))
		return false;
	if (!f) {
		n = format_buf(line, sizeof(line),
			       "CPU %u: NMI dump: it was running its guest (exits go on)\n",
			       cpu->index);
		uart_write_line(line, n, sizeof(line));
		return true;
	}
	n = format_buf(line, sizeof(line),
		       "CPU %u: NMI dump: hypervisor at RIP %016llx (link %016llx), RFLAGS %llx; "
		       "return addresses (link):",
		       cpu->index, (unsigned long long)f->rip,
		       (unsigned long long)(f->rip - hv_load_delta), (unsigned long long)f->rflags);
	uart_write_line(line, n, sizeof(line));
	stack_bounds(cpu, &low, &high);
	rbp = f->rbp;
	for (int i = 0; i < STACK_TRACE_MAX_FRAMES; i++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;

		if (rbp < low || rbp + 16 > high || (rbp & 7) || !frame[1])
			break;
		n = format_buf(line, sizeof(line), " %llx",
			       (unsigned long long)(frame[1] - hv_load_delta));
		uart_write_line(line, n, sizeof(line));
		rbp = frame[0];
	}
	uart_write("\n", 1);
	return true;
}

void irq_dispatch_nmi(void)
{
	if (machine_stopping) {
		vmx_off_this_cpu();
		cpu_halt_forever();
	}
	nmi_dump(NULL);
}

void trap_dispatch(struct trap_frame *frame)
{
	struct per_cpu *cpu = this_cpu();
	uint64_t v = frame->vector;

	if (v == VECTOR_NMI && machine_stopping) {
		vmx_off_this_cpu();
		cpu_halt_forever();
	}
	if (v == VECTOR_NMI && nmi_dump(frame))
		return;
	if (v < VECTOR_FIRST_EXTERNAL)
		exception_stop(frame);

	cpu->interrupt_count[v]++;
	if (v == VECTOR_SPURIOUS)
		return; /* spurious interrupts take no EOI */
	if (irq_handlers[v])
		irq_handlers[v]((uint32_t)v, frame);
	else
		pr_warn("trap: CPU %u: interrupt on unused vector 0x%llx ignored", cpu->index,
			(unsigned long long)v);
	lapic_eoi();
}

void panic(const char *fmt, ...)
{
	struct per_cpu *cpu = this_cpu();
	uint64_t low, high;
	char message[256];
	va_list args;

	irq_disable();
	console_force_unlock();
	stop_other_cpus();
	va_start(args, fmt);
	format_vbuf(message, sizeof(message), fmt, args);
	va_end(args);
	console_printf("\n*** HYPERVISOR PANIC: CPU %u: %s\n", cpu->index, message);
	stack_bounds(cpu, &low, &high);
	print_stack_trace((uint64_t)(uintptr_t)__builtin_frame_address(0), low, high);
	console_printf("*** hypervisor stopped\n");
	cpu_halt_forever();
}

void machine_stop_other_cpus(void)
{
	stop_other_cpus();
}

void machine_halt(void)
{
	irq_disable();
	stop_other_cpus();
	cpu_halt_forever();
}
