// SPDX-License-Identifier: GPL-2.0
/*
 * User VM memory: SET_MEMSEG / UNSET_MEMSEG. RAM is the device model's memory, pinned
 * for the VM's lifetime and described to the hypervisor page run by page run; MMIO is a
 * Service VM physical range mapped through unchanged.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hsm.h"

/* One page of region descriptors per hypercall keeps every buffer contiguous. */
#define HSM_REGIONS_PER_CALL (PAGE_SIZE / sizeof(struct acrn_vm_memory_region))
/* Pinning in chunks keeps a failure cheap to unwind and the page walk preemptible. */
#define HSM_PIN_CHUNK 512

static long hsm_mm_set_regions(struct hsm_vm *vm, struct acrn_vm_memory_region *regions, u32 count)
{
	struct acrn_set_regions *batch = kzalloc(sizeof(*batch), GFP_KERNEL);
	long ret;

	if (!batch)
		return -ENOMEM;
	batch->vmid = vm->vmid;
	batch->mr_num = count;
	batch->regions_gpa = virt_to_phys(regions);
	ret = hsm_hypercall1(HC_VM_SET_MEMORY_REGIONS, virt_to_phys(batch));
	kfree(batch);
	return ret;
}

static long hsm_mm_one_region(struct hsm_vm *vm, u32 type, u32 prot, u64 user_vm_pa,
			      u64 service_vm_pa, u64 size)
{
	struct acrn_vm_memory_region *region = kzalloc(sizeof(*region), GFP_KERNEL);
	long ret;

	if (!region)
		return -ENOMEM;
	region->type = type;
	region->prot = prot;
	region->gpa = user_vm_pa;
	region->service_vm_gpa = service_vm_pa;
	region->size = size;
	ret = hsm_mm_set_regions(vm, region, 1);
	kfree(region);
	return ret;
}

static void hsm_mm_free_map(struct hsm_ram_map *map, unsigned long pinned)
{
	/* The User VM may have written to any of them. */
	unpin_user_pages_dirty_lock(map->pages, pinned, true);
	kvfree(map->pages);
	kfree(map);
}

/* Describes the pinned pages as runs of physically contiguous memory. */
static long hsm_mm_map_pinned(struct hsm_vm *vm, struct hsm_ram_map *map, u32 prot)
{
	struct acrn_vm_memory_region *regions = kzalloc(PAGE_SIZE, GFP_KERNEL);
	unsigned long index = 0;
	u32 count = 0;
	long ret = 0;

	if (!regions)
		return -ENOMEM;
	while (index < map->page_count) {
		unsigned long first = index;
		unsigned long pfn = page_to_pfn(map->pages[index]);

		while (++index < map->page_count &&
		       page_to_pfn(map->pages[index]) == pfn + (index - first))
			;
		regions[count] = (struct acrn_vm_memory_region){
			.type = ACRN_MR_ADD,
			.prot = prot,
			.gpa = map->user_vm_pa + ((u64)first << PAGE_SHIFT),
			.service_vm_gpa = PFN_PHYS(pfn),
			.size = (u64)(index - first) << PAGE_SHIFT,
		};
		if (++count == HSM_REGIONS_PER_CALL || index == map->page_count) {
			ret = hsm_mm_set_regions(vm, regions, count);
			if (ret)
				break;
			count = 0;
		}
		cond_resched();
	}
	kfree(regions);
	return ret;
}

static long hsm_mm_map_ram(struct hsm_vm *vm, const struct acrn_vm_memmap *memmap)
{
	unsigned long page_count = memmap->len >> PAGE_SHIFT;
	unsigned long pinned = 0;
	struct hsm_ram_map *map;
	long ret;

	if (vm->ram_map_count >= HSM_MAX_RAM_MAPS)
		return -ENOMEM;
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->pages = kvmalloc_array(page_count, sizeof(*map->pages), GFP_KERNEL);
	if (!map->pages) {
		kfree(map);
		return -ENOMEM;
	}
	map->user_vm_pa = memmap->user_vm_pa;
	map->page_count = page_count;
	while (pinned < page_count) {
		int chunk = (int)min_t(unsigned long, page_count - pinned, HSM_PIN_CHUNK);
		int got = hsm_compat_pin_user_pages(memmap->vma_base + (pinned << PAGE_SHIFT),
						    chunk, true, map->pages + pinned);

		if (got <= 0) {
			ret = got ? got : -EFAULT;
			goto err_unpin;
		}
		pinned += got;
	}
	ret = hsm_mm_map_pinned(vm, map, hsm_memmap_prot(memmap));
	if (ret) {
		/* Take back whatever part the hypervisor had mapped before it failed. */
		hsm_mm_one_region(vm, ACRN_MR_DEL, 0, memmap->user_vm_pa, 0, memmap->len);
		goto err_unpin;
	}
	list_add_tail(&map->link, &vm->ram_maps);
	vm->ram_map_count++;
	return 0;

err_unpin:
	hsm_mm_free_map(map, pinned);
	return ret;
}

long hsm_mm_set_memseg(struct hsm_vm *vm, struct acrn_vm_memmap __user *user_memmap)
{
	struct acrn_vm_memmap memmap;
	long ret;

	if (copy_from_user(&memmap, user_memmap, sizeof(memmap)))
		return -EFAULT;
	ret = hsm_check_memmap(&memmap, false);
	if (ret)
		return ret;
	if (memmap.type == ACRN_MEMMAP_RAM)
		return hsm_mm_map_ram(vm, &memmap);
	return hsm_mm_one_region(vm, ACRN_MR_ADD, hsm_memmap_prot(&memmap), memmap.user_vm_pa,
				 memmap.service_vm_pa, memmap.len);
}

long hsm_mm_unset_memseg(struct hsm_vm *vm, struct acrn_vm_memmap __user *user_memmap)
{
	struct acrn_vm_memmap memmap;
	long ret;

	if (copy_from_user(&memmap, user_memmap, sizeof(memmap)))
		return -EFAULT;
	ret = hsm_check_memmap(&memmap, true);
	if (ret)
		return ret;
	return hsm_mm_one_region(vm, ACRN_MR_DEL, 0, memmap.user_vm_pa, 0, memmap.len);
}

void hsm_mm_release_all(struct hsm_vm *vm)
{
	struct hsm_ram_map *map, *next;

	list_for_each_entry_safe(map, next, &vm->ram_maps, link)
	{
		list_del(&map->link);
		hsm_mm_free_map(map, map->page_count);
	}
	vm->ram_map_count = 0;
}
