/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/smp.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/service_vm.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmx.h"
#include "core/timer.h"
#include "debug/log.h"
#include "lib/format.h"
#include "lib/string.h"

#define LOW_MEMORY_END	 0xa0000ull /* legacy video and BIOS from here up */
#define LOW_MEMORY_START 0x1000ull  /* keep the real-mode IVT and BDA untouched */

/* Trampoline patch slots (boot/trampoline.S). */
extern const char trampoline_start[], trampoline_end[];
extern const char tramp_gdtr[], tramp_far32[], tramp_far64[], tramp_cr3[], tramp_entry64[];
extern const char ap_entry64[];

struct trampoline_data {
	uint64_t stack;
	uint32_t cpu_index;
};

static uint64_t trampoline_base;

static bool range_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* True if the range is RAM in the memory map and holds no module the hypervisor still needs. */
static bool low_range_is_free(const struct boot_info *bi, uint64_t base, uint64_t len)
{
	bool in_ram = false;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];

		if (e->type == BOOT_MEM_RAM && base >= e->base && base + len <= e->base + e->length)
			in_ram = true;
		else if (e->type != BOOT_MEM_RAM && range_overlaps(base, len, e->base, e->length))
			return false;
	}
	for (uint32_t i = 0; in_ram && i < bi->module_count; i++)
		if (range_overlaps(base, len, bi->modules[i].start,
				   bi->modules[i].end - bi->modules[i].start))
			return false;
	return in_ram;
}

static void patch32(uint64_t base, const char *slot, uint32_t value)
{
	uint64_t off = (uint64_t)(slot - trampoline_start);

	memcpy((void *)(uintptr_t)(base + off), &value, sizeof(value));
}

uint64_t smp_prepare_trampoline(const struct boot_info *bi, uint64_t cr3)
{
	uint64_t size = TRAMPOLINE_PAGES * PAGE_SIZE;
	uint64_t code_size = (uint64_t)(trampoline_end - trampoline_start);
	uint64_t entry = (uint64_t)(uintptr_t)ap_entry64;

	/* Highest free spot: the lowest pages are where boot loaders and DOS-era code live. */
	for (uint64_t base = LOW_MEMORY_END - size; base >= LOW_MEMORY_START; base -= PAGE_SIZE) {
		if (low_range_is_free(bi, base, size)) {
			trampoline_base = base;
			break;
		}
	}
	if (!trampoline_base)
		return 0;
	if (code_size > PAGE_SIZE || cr3 >= (1ull << 32))
		panic("smp: trampoline of %llu bytes or CR3 0x%llx unusable",
		      (unsigned long long)code_size, (unsigned long long)cr3);

	memset((void *)(uintptr_t)trampoline_base, 0, size);
	memcpy((void *)(uintptr_t)trampoline_base, trampoline_start, code_size);
	/* The GDT pointer and far-jump targets are offsets until the base is added. */
	patch32(trampoline_base, tramp_gdtr + 2,
		(uint32_t)(trampoline_base + *(const uint32_t *)(tramp_gdtr + 2)));
	patch32(trampoline_base, tramp_far32,
		(uint32_t)(trampoline_base + *(const uint32_t *)tramp_far32));
	patch32(trampoline_base, tramp_far64,
		(uint32_t)(trampoline_base + *(const uint32_t *)tramp_far64));
	patch32(trampoline_base, tramp_cr3, (uint32_t)cr3);
	memcpy((void *)(uintptr_t)(trampoline_base + (uint64_t)(tramp_entry64 - trampoline_start)),
	       &entry, sizeof(entry));
	return trampoline_base;
}

void smp_retire_trampoline(void)
{
	if (!trampoline_base)
		return;
	/* Wipe it so the Service VM, which gets this memory, finds nothing of ours. */
	paging_make_data_page(trampoline_base);
	memset((void *)(uintptr_t)trampoline_base, 0, TRAMPOLINE_PAGES * PAGE_SIZE);
	trampoline_base = 0;
}

uint64_t smp_trampoline_address(void)
{
	return trampoline_base;
}

void smp_enumerate_cpus(const struct acpi_info *acpi, uint32_t bsp_apic_id)
{
	struct per_cpu *bsp = &per_cpu_data[0];
	bool limit_reported = false;

	bsp->index = 0;
	bsp->apic_id = bsp_apic_id;
	bsp->state = CPU_ONLINE;
	cpu_count = 1;
	if (!acpi->has_madt)
		return;
	for (uint32_t i = 0; i < acpi->cpu_count; i++) {
		const struct acpi_cpu *c = &acpi->cpus[i];
		struct per_cpu *cpu;

		if (c->apic_id == bsp_apic_id) {
			bsp->acpi_uid = c->uid;
			continue;
		}
		if (!c->enabled && !c->online_capable)
			continue;
		if (cpu_count >= HV_MAX_CPUS) {
			if (!limit_reported)
				pr_warn("smp: more than %u CPUs listed; the rest stay unused",
					HV_MAX_CPUS);
			limit_reported = true;
			continue;
		}
		cpu = &per_cpu_data[cpu_count];
		cpu->index = cpu_count++;
		cpu->apic_id = c->apic_id;
		cpu->acpi_uid = c->uid;
		cpu->state = c->enabled ? CPU_OFFLINE : CPU_ABSENT;
	}
}

static bool wait_for_state_change(struct per_cpu *cpu, uint32_t from, uint64_t timeout_us)
{
	uint64_t deadline = rdtsc() + tsc_from_us(timeout_us);

	while (__atomic_load_n(&cpu->state, __ATOMIC_ACQUIRE) == from) {
		if (rdtsc() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/* Sends the two STARTUP IPIs of the INIT-SIPI-SIPI sequence (INIT went out earlier). */
static void smp_start_one(struct per_cpu *cpu)
{
	struct trampoline_data *data =
	    (struct trampoline_data *)(uintptr_t)(trampoline_base + PAGE_SIZE);
	uint8_t page = (uint8_t)(trampoline_base >> 12);

	data->stack = (uint64_t)(uintptr_t)(cpu_stack_base(cpu->index) + HV_STACK_SIZE);
	data->cpu_index = cpu->index;
	__atomic_store_n(&cpu->state, CPU_STARTING, __ATOMIC_RELEASE);

	lapic_send_startup(cpu->apic_id, page);
	if (wait_for_state_change(cpu, CPU_STARTING, 200))
		return;
	lapic_send_startup(cpu->apic_id, page);
	if (wait_for_state_change(cpu, CPU_STARTING, AP_START_TIMEOUT_MS * 1000ull))
		return;
	__atomic_store_n(&cpu->state, CPU_NO_RESPONSE, __ATOMIC_RELEASE);
	pr_err("smp: CPU %u (APIC id %u) did not start within %u ms; it stays offline", cpu->index,
	       cpu->apic_id, AP_START_TIMEOUT_MS);
}

void smp_start_aps(void)
{
	bool any = false;

	if (!trampoline_base) {
		pr_err("smp: no free memory below 1 MiB for the start-up code; only CPU 0 runs");
		return;
	}
	/*
	 * INIT every AP first and wait the architectural 10 ms once, not once
	 * per CPU; the STARTUP IPIs then go out one CPU at a time because the
	 * CPUs share the trampoline's stack slot.
	 */
	for (uint32_t i = 1; i < cpu_count; i++) {
		if (per_cpu_data[i].state == CPU_OFFLINE) {
			lapic_send_init(per_cpu_data[i].apic_id);
			any = true;
		}
	}
	if (!any)
		return;
	tsc_delay_us(10000);
	for (uint32_t i = 1; i < cpu_count; i++)
		if (per_cpu_data[i].state == CPU_OFFLINE)
			smp_start_one(&per_cpu_data[i]);
}

void smp_wait_for_vmx(uint64_t timeout_ms)
{
	for (uint32_t i = 1; i < cpu_count; i++) {
		struct per_cpu *cpu = &per_cpu_data[i];

		if (!wait_for_state_change(cpu, CPU_ONLINE, timeout_ms * 1000))
			pr_err("smp: CPU %u did not finish VMX set-up in %llu ms", cpu->index,
			       (unsigned long long)timeout_ms);
	}
}

void ap_main(uint32_t index);
__attribute__((noreturn)) void ap_main(uint32_t index)
{
	struct per_cpu *cpu = &per_cpu_data[index];

	cpu_tables_init(cpu);
	lapic_init();
	if (lapic_id() != cpu->apic_id)
		pr_warn("smp: CPU %u reports APIC id %u, MADT said %u", index, lapic_id(),
			cpu->apic_id);
	timer_service_init_cpu();
	cpu->online_tsc = rdtsc();
	__atomic_store_n(&cpu->state, CPU_ONLINE, __ATOMIC_RELEASE);
	vmx_enable_this_cpu(cpu);
	for (;;) {
		struct vcpu *v = __atomic_load_n(&cpu->vcpu, __ATOMIC_ACQUIRE);

		if (v && cpu->state == CPU_VMX_ROOT)
			service_vm_run_ap_vcpu(v); /* returns only when its VM stops */
		cpu_wait_for_interrupt();
	}
}
