/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EPT violations: the guest touched guest-physical memory that is not
 * mapped for it. The instruction is fetched through the guest's page
 * tables, decoded and emulated (core/instr_*); the access goes to the
 * device registered for that address in the VM's I/O registry, or, where
 * nothing is (the hypervisor's own memory, controllers it keeps), reads
 * return all ones and writes are dropped, logged once per page.
 */
#include "arch/x86/guest_mem.h"
#include "lib/errno.h"
#include "arch/x86/vmexit.h"
#include "core/instr.h"
#include "core/io_registry.h"
#include "core/vm.h"
#include "debug/log.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vdev/vlapic.h"

#define EPT_QUAL_WRITE	    (1ull << 1)
#define EPT_QUAL_FETCH	    (1ull << 2)
#define CS_AR_L		    (1u << 13)
#define CS_AR_DB	    (1u << 14)
#define EFER_LMA	    (1ull << 10)
#define UNCLAIMED_LOG_PAGES 32

struct mmio_access {
	struct vcpu *vcpu;
};

/* Pages already reported, so a guest hammering one address does not flood the log. */
static uint64_t unclaimed_logged[UNCLAIMED_LOG_PAGES];
static uint32_t unclaimed_logged_count;
static uint64_t unclaimed_silenced;

static void report_unclaimed(struct vcpu *vcpu, uint64_t gpa, bool write)
{
	uint64_t page = gpa & ~0xfffull;

	for (uint32_t i = 0; i < unclaimed_logged_count; i++)
		if (unclaimed_logged[i] == page)
			return;
	if (unclaimed_logged_count == UNCLAIMED_LOG_PAGES) {
		if (unclaimed_silenced++ == 0)
			pr_warn("mmio: more unclaimed pages; not logging them any more");
		return;
	}
	unclaimed_logged[unclaimed_logged_count++] = page;
	pr_warn("mmio: VM %u vCPU %u %s unclaimed guest-physical 0x%llx (RIP 0x%llx): %s",
		vcpu->vm->id, vcpu->id, write ? "wrote" : "read", (unsigned long long)gpa,
		(unsigned long long)vmcs_read(VMCS_GUEST_RIP),
		write ? "dropped" : "all ones returned");
}

static enum instr_result mmio_read(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
				   uint64_t *value)
{
	struct mmio_access *a = ctx->opaque;
	int err = io_registry_mmio_access(&a->vcpu->vm->io, gpa, size, false, value);

	if (err == -ENOENT) {
		report_unclaimed(a->vcpu, gpa, false);
		*value = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	}
	return INSTR_OK;
}

static enum instr_result mmio_write(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
				    uint64_t value)
{
	struct mmio_access *a = ctx->opaque;
	int err = io_registry_mmio_access(&a->vcpu->vm->io, gpa, size, true, &value);

	if (err == -ENOENT)
		report_unclaimed(a->vcpu, gpa, true);
	return INSTR_OK;
}

static uint64_t segment_base(enum instr_seg seg)
{
	static const uint32_t bases[] = {
		[INSTR_SEG_ES] = VMCS_GUEST_ES_BASE, [INSTR_SEG_CS] = VMCS_GUEST_CS_BASE,
		[INSTR_SEG_SS] = VMCS_GUEST_SS_BASE, [INSTR_SEG_DS] = VMCS_GUEST_DS_BASE,
		[INSTR_SEG_FS] = VMCS_GUEST_FS_BASE, [INSTR_SEG_GS] = VMCS_GUEST_GS_BASE,
	};

	if (seg >= INSTR_SEG_NONE)
		return 0;
	return vmcs_read(bases[seg]);
}

static enum instr_result mem_read(struct instr_ctx *ctx, enum instr_seg seg, uint64_t offset,
				  uint8_t size, uint64_t *value)
{
	struct mmio_access *a = ctx->opaque;

	*value = 0;
	if (guest_linear_read(a->vcpu, segment_base(seg) + offset, value, size))
		return INSTR_PAGE_FAULT;
	return INSTR_OK;
}

static enum instr_result mem_write(struct instr_ctx *ctx, enum instr_seg seg, uint64_t offset,
				   uint8_t size, uint64_t value)
{
	struct mmio_access *a = ctx->opaque;

	if (guest_linear_write(a->vcpu, segment_base(seg) + offset, &value, size))
		return INSTR_PAGE_FAULT;
	return INSTR_OK;
}

/* Fetches up to 15 instruction bytes; fewer when the code ends at an unmapped page. */
static size_t fetch_instruction(struct vcpu *vcpu, uint8_t *bytes)
{
	uint64_t linear = vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
	size_t n = 0;

	if (guest_linear_read(vcpu, linear, bytes, INSTR_MAX_LEN) == 0)
		return INSTR_MAX_LEN;
	while (n < INSTR_MAX_LEN && guest_linear_read(vcpu, linear + n, bytes + n, 1) == 0)
		n++;
	return n;
}

static void mmio_fault(struct vcpu *vcpu, enum instr_result r, const char *reason)
{
	int vector = instr_result_exception(r);

	pr_warn("mmio: VM %u vCPU %u: cannot emulate the access at RIP 0x%llx (%s: %s); "
		"exception %d injected",
		vcpu->vm->id, vcpu->id, (unsigned long long)vmcs_read(VMCS_GUEST_RIP),
		instr_result_name(r), reason ? reason : "-", vector);
	if (vector == 14)
		vcpu_inject_exception(vcpu, 14, true, 0);
	else if (vector == 13)
		vcpu_inject_exception(vcpu, 13, true, 0);
	else
		vcpu_inject_exception(vcpu, 6, false, 0);
}

/* Decodes the instruction at RIP and performs it, its access to gpa going to the emulated device.
 */
static void mmio_emulate(struct vcpu *vcpu, uint64_t gpa, bool is_write)
{
	uint32_t cs_ar = (uint32_t)vmcs_read(VMCS_GUEST_CS_AR);
	struct mmio_access access = { .vcpu = vcpu };
	struct instr_ctx ctx;
	struct instr in;
	uint8_t bytes[INSTR_MAX_LEN];
	enum instr_result r;
	size_t n;

	n = fetch_instruction(vcpu, bytes);
	r = instr_decode(bytes, n,
			 instr_mode_from_cs(vmcs_read(VMCS_GUEST_EFER) & EFER_LMA, cs_ar & CS_AR_L,
					    cs_ar & CS_AR_DB),
			 &in);
	if (r != INSTR_OK) {
		mmio_fault(vcpu, r, in.reason);
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.gpr, vcpu->regs.gpr, sizeof(ctx.gpr));
	ctx.rip = vmcs_read(VMCS_GUEST_RIP);
	ctx.rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	ctx.mmio_gpa = gpa;
	ctx.mmio_write = is_write;
	ctx.read_mmio = mmio_read;
	ctx.write_mmio = mmio_write;
	ctx.read_guest_memory = mem_read;
	ctx.write_guest_memory = mem_write;
	ctx.opaque = &access;
	r = instr_emulate(&in, &ctx);
	if (r != INSTR_OK) {
		mmio_fault(vcpu, r, ctx.reason);
		return;
	}
	memcpy(vcpu->regs.gpr, ctx.gpr, sizeof(ctx.gpr));
	vmcs_write(VMCS_GUEST_RIP, ctx.rip);
	vmcs_write(VMCS_GUEST_RFLAGS, ctx.rflags);
}

void vmexit_ept_violation(struct vcpu *vcpu)
{
	uint64_t q = vcpu->exit_qualification;

	if (q & EPT_QUAL_FETCH) {
		char why[96];

		format_buf(why, sizeof(why), "instruction fetch from unmapped 0x%llx",
			   (unsigned long long)vmcs_read(VMCS_GUEST_PHYS_ADDR));
		vcpu_fail(vcpu, why);
		return;
	}
	mmio_emulate(vcpu, vmcs_read(VMCS_GUEST_PHYS_ADDR), q & EPT_QUAL_WRITE);
}

#define APIC_ACCESS_LINEAR_READ	 0
#define APIC_ACCESS_LINEAR_WRITE 1

/*
 * With APIC virtualization, an access to the xAPIC page the processor does
 * not virtualize (the timer's current count, a write to a read-only
 * register) exits before it happens; the vLAPIC performs it.
 */
void vmexit_apic_access(struct vcpu *vcpu)
{
	uint64_t q = vcpu->exit_qualification;
	uint32_t type = (uint32_t)(q >> 12) & 0xf;
	uint64_t gpa = vlapic_base_address(&vcpu->vlapic) + (q & 0xfff);

	if (type != APIC_ACCESS_LINEAR_READ && type != APIC_ACCESS_LINEAR_WRITE) {
		char why[80];

		format_buf(why, sizeof(why), "APIC-access exit of type %u at offset 0x%llx", type,
			   (unsigned long long)(q & 0xfff));
		vcpu_fail(vcpu, why);
		return;
	}
	mmio_emulate(vcpu, gpa, type == APIC_ACCESS_LINEAR_WRITE);
}
