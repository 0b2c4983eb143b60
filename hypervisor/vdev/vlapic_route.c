/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which local APICs an interrupt message reaches, and whether LINT0 takes the
 * legacy PIC's ExtINT (SDM vol. 3 ch. 11, "Determining IPI Destination" and
 * "Local Vector Table"): the routing side of the virtual local APIC.
 */
#include "vdev/vlapic.h"
#include "vdev/vlapic_regs.h"

bool vlapic_matches_destination(const struct vlapic *vl, uint32_t dest, bool logical,
				bool x2apic_dest)
{
	enum apic_mode mode = apic_mode(vl);
	uint32_t ldr = reg_get(vl, APIC_LDR), ldr8, cluster;

	if (mode == MODE_X2APIC) {
		/* An 8-bit xAPIC-format broadcast still reaches x2APIC CPUs. */
		if (dest == (x2apic_dest ? 0xffffffffu : 0xffu))
			return true;
		if (!logical)
			return dest == vl->apic_id;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	if (mode != MODE_XAPIC)
		return false;
	if (x2apic_dest) {
		if (dest == 0xffffffffu)
			return true;
		if (dest > 0xff)
			return false;
	}
	if (!logical)
		return dest == 0xff || dest == reg_get(vl, APIC_ID) >> 24;
	ldr8 = ldr >> 24;
	if (reg_get(vl, APIC_DFR) >> 28 == 0) {
		/* Cluster model: 4-bit cluster (0xf all clusters), 4-bit member mask. */
		cluster = dest >> 4;
		return (cluster == 0xf || cluster == ldr8 >> 4) && (dest & ldr8 & 0xf);
	}
	return (dest & ldr8) != 0; /* flat model */
}

bool vlapic_accepts_extint(const struct vlapic *vl)
{
	uint32_t lint0 = reg_get(vl, APIC_LVT_LINT0);

	/* Hardware-disabled: LINT0 is the plain INTR pin again. */
	if (apic_mode(vl) == MODE_DISABLED)
		return true;
	return !(lint0 & LVT_MASKED) && LVT_DELIVERY(lint0) == VIRQ_EXTINT;
}
