/* SPDX-License-Identifier: BSD-3-Clause */
/* Exceptions, interrupts and the machine-stopping panic path. */
#ifndef HV_ARCH_X86_TRAP_H
#define HV_ARCH_X86_TRAP_H

#include <stdint.h>

#define VECTOR_NMI	      2
#define VECTOR_DOUBLE_FAULT   8
#define VECTOR_PAGE_FAULT     14
#define VECTOR_MACHINE_CHECK  18
#define VECTOR_FIRST_EXTERNAL 32
#define VECTOR_GSI_FIRST      0x30 /* + GSI: physical IOAPIC pins routed to a VM */
#define VECTOR_GSI_LAST	      0xdf
#define VECTOR_CONSOLE	      0xe0 /* the console UART's receive interrupt */
#define VECTOR_TIMER	      0xef
#define VECTOR_KICK	      0xf0 /* makes a CPU leave its guest and look at its vCPU */
#define VECTOR_SPURIOUS	      0xff

#ifndef __ASSEMBLY__
/* Saved by trap_entry.S, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* frame is NULL when the interrupt was taken by a VM exit. */
typedef void (*irq_handler_fn)(uint32_t vector, struct trap_frame *frame);

/* Installs the handler of an external-interrupt vector; -EBUSY if taken. */
int irq_register(unsigned int vector, irq_handler_fn handler);
void trap_dispatch(struct trap_frame *frame);
/* An external interrupt taken by a VM exit: runs its handler (frame NULL) and EOIs. */
void irq_dispatch_vector(uint32_t vector);
/* Makes CPU index print where it is (hypervisor RIP and stack, or "in its guest") by NMI. */
void cpu_request_nmi_dump(uint32_t index);
/* An NMI taken by a VM exit. */
void irq_dispatch_nmi(void);

/* A hypervisor bug: prints the message and a stack trace, stops every CPU. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* NMIs every other CPU into VMXOFF and a halt (before power-off or reset). */
void machine_stop_other_cpus(void);
/* Stops every CPU without a report (after a clean refusal to run). */
void machine_halt(void) __attribute__((noreturn));
/* Load offset (run-time minus link-time address), to print addresses acrn.map understands. */
extern uint64_t hv_load_delta;
#endif

#endif
