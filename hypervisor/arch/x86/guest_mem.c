/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/guest_mem.h"

#include "arch/x86/cpu.h"
#include "core/vm.h"
#include "lib/errno.h"
#include "lib/string.h"

#define CR4_PSE	 (1ull << 4)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define PTE_P	 1ull
#define PTE_PS	 (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

int guest_phys_read(const struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t hpa, flags, page_size, chunk;

		if (pt_lookup(&vm->ept, gpa, &hpa, &flags, &page_size) != 0 || !(flags & EPT_R))
			return -EFAULT;
		/* Only write-back (RAM) mappings: reading device memory could have side effects. */
		if (((flags >> EPT_MT_SHIFT) & 7) != EPT_MT_WB)
			return -EFAULT;
		chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		memcpy(out, (const void *)(uintptr_t)hpa, chunk);
		out += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

int guest_phys_write(const struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	const uint8_t *in = buf;

	while (len) {
		uint64_t hpa, flags, page_size, chunk;

		if (pt_lookup(&vm->ept, gpa, &hpa, &flags, &page_size) != 0 || !(flags & EPT_W) ||
		    ((flags >> EPT_MT_SHIFT) & 7) != EPT_MT_WB)
			return -EFAULT;
		chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		memcpy((void *)(uintptr_t)hpa, in, chunk);
		in += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

static int read_entry(const struct vm *vm, uint64_t gpa, size_t size, uint64_t *entry)
{
	*entry = 0;
	return guest_phys_read(vm, gpa, entry, size);
}

/* One level of a walk: returns 0 and the next table (or final address) in *next. */
static int walk_level(const struct vm *vm, uint64_t table, uint64_t index, size_t entry_size,
		      uint64_t *entry)
{
	if (read_entry(vm, table + index * entry_size, entry_size, entry))
		return -EFAULT;
	return (*entry & PTE_P) ? 0 : -EFAULT;
}

static int walk_4level(const struct vm *vm, uint64_t cr3, uint64_t linear, uint64_t *gpa)
{
	uint64_t table = cr3 & PTE_ADDR;
	uint64_t e;

	for (int shift = 39; shift >= 12; shift -= 9) {
		if (walk_level(vm, table, (linear >> shift) & 0x1ff, 8, &e))
			return -EFAULT;
		if ((e & PTE_PS) && (shift == 30 || shift == 21)) {
			uint64_t mask = (1ull << shift) - 1;

			*gpa = ((e & PTE_ADDR) & ~mask) | (linear & mask);
			return 0;
		}
		table = e & PTE_ADDR;
	}
	*gpa = table | (linear & 0xfff);
	return 0;
}

static int walk_pae(const struct vm *vm, uint64_t cr3, uint64_t linear, uint64_t *gpa)
{
	uint64_t e;
	uint64_t table;

	if (walk_level(vm, cr3 & 0xffffffe0ull, (linear >> 30) & 3, 8, &e))
		return -EFAULT;
	table = e & PTE_ADDR;
	if (walk_level(vm, table, (linear >> 21) & 0x1ff, 8, &e))
		return -EFAULT;
	if (e & PTE_PS) {
		*gpa = ((e & PTE_ADDR) & ~0x1fffffull) | (linear & 0x1fffff);
		return 0;
	}
	if (walk_level(vm, e & PTE_ADDR, (linear >> 12) & 0x1ff, 8, &e))
		return -EFAULT;
	*gpa = (e & PTE_ADDR) | (linear & 0xfff);
	return 0;
}

static int walk_32bit(const struct vm *vm, uint64_t cr3, uint64_t cr4, uint64_t linear,
		      uint64_t *gpa)
{
	uint64_t e;

	if (walk_level(vm, cr3 & 0xfffff000ull, (linear >> 22) & 0x3ff, 4, &e))
		return -EFAULT;
	if ((e & PTE_PS) && (cr4 & CR4_PSE)) {
		/* 4 MiB page: bits 20:13 of the entry extend the address above 4 GiB. */
		*gpa = (e & 0xffc00000ull) | (((e >> 13) & 0xffull) << 32) | (linear & 0x3fffff);
		return 0;
	}
	if (walk_level(vm, e & 0xfffff000ull, (linear >> 12) & 0x3ff, 4, &e))
		return -EFAULT;
	*gpa = (e & 0xfffff000ull) | (linear & 0xfff);
	return 0;
}

int guest_linear_to_phys(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa)
{
	const struct vm *vm = vcpu->vm;
	uint64_t cr0 = vmcs_read(VMCS_GUEST_CR0);
	uint64_t cr4 = vmcs_read(VMCS_GUEST_CR4);
	uint64_t cr3 = vmcs_read(VMCS_GUEST_CR3);

	if (!(cr0 & CR0_PG)) {
		*gpa = linear;
		return 0;
	}
	if (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA) {
		if (cr4 & CR4_LA57)
			return -EFAULT; /* 5-level paging is not offered to guests */
		return walk_4level(vm, cr3, linear, gpa);
	}
	if (cr4 & CR4_PAE)
		return walk_pae(vm, cr3, (uint32_t)linear, gpa);
	return walk_32bit(vm, cr3, cr4, (uint32_t)linear, gpa);
}

int guest_linear_read(struct vcpu *vcpu, uint64_t linear, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t gpa;
		size_t chunk = PAGE_SIZE - (linear & (PAGE_SIZE - 1));

		if (chunk > len)
			chunk = len;
		if (guest_linear_to_phys(vcpu, linear, &gpa) ||
		    guest_phys_read(vcpu->vm, gpa, out, chunk))
			return -EFAULT;
		out += chunk;
		linear += chunk;
		len -= chunk;
	}
	return 0;
}

int guest_linear_write(struct vcpu *vcpu, uint64_t linear, const void *buf, size_t len)
{
	const uint8_t *in = buf;

	while (len) {
		uint64_t gpa;
		size_t chunk = PAGE_SIZE - (linear & (PAGE_SIZE - 1));

		if (chunk > len)
			chunk = len;
		if (guest_linear_to_phys(vcpu, linear, &gpa) ||
		    guest_phys_write(vcpu->vm, gpa, in, chunk))
			return -EFAULT;
		in += chunk;
		linear += chunk;
		len -= chunk;
	}
	return 0;
}
