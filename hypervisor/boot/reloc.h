/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HV_BOOT_RELOC_H
#define HV_BOOT_RELOC_H

#include <stdint.h>

/* Applies the image's relocations for load address = link address + delta; -1 on an unknown type.
 */
int reloc_apply(uint64_t delta);

#endif
