/* SPDX-License-Identifier: GPL-2.0 */
/*
 * acrn_hsm internals: one struct hsm_vm per open file of /dev/acrn_hsm, and the
 * entry points of the per-concern files the ioctl switch (hsm_main.c) calls.
 */
#ifndef HSM_H
#define HSM_H

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <acrn/hsm_ioctl.h>
#include <acrn/hypercall.h>
#include <acrn/ioreq.h>

#include "hsm_compat.h"
#include "hsm_hypercall.h"
#include "hsm_validate.h"

/* Device-model RAM pinned for a User VM by one SET_MEMSEG. */
struct hsm_ram_map {
	struct list_head link;
	struct page **pages;
	unsigned long page_count;
	u64 user_vm_pa;
};

struct hsm_vm {
	struct mutex lock; /* serialises the lifecycle and memory ioctls */
	bool created;
	bool destroy_refused; /* the hypervisor still runs it: keep its memory pinned */
	u16 vmid;	      /* relative id from HC_CREATE_VM */
	u16 vcpu_num;

	/* I/O requests; the upcall worker reaches the VM through hsm_vm_list. */
	struct list_head vm_list_link;
	spinlock_t ioreq_lock; /* slot state changes, the client's bitmap, the latch */
	struct page *ioreq_page;
	struct acrn_io_request_buffer *ioreq_buf;
	u32 pci_config_latch;
	bool client_exists;
	bool client_destroying;
	DECLARE_BITMAP(client_pending, ACRN_IO_REQUEST_MAX); /* slots PROCESSING for the DM */
	wait_queue_head_t client_wait;

	struct list_head ioeventfds; /* in-kernel client, under ioreq_lock */
	unsigned int ioeventfd_count;
	struct mutex irqfds_lock;
	struct list_head irqfds;

	struct list_head ram_maps;
	unsigned int ram_map_count;
	struct page *intr_monitor_page;
};

/* hsm_vm.c */
long hsm_vm_create(struct hsm_vm *vm, struct acrn_vm_creation __user *user_creation);
long hsm_vm_destroy(struct hsm_vm *vm, bool on_close);
long hsm_vm_simple_hypercall(struct hsm_vm *vm, u64 hypercall_id);
long hsm_vm_set_vcpu_regs(struct hsm_vm *vm, struct acrn_vcpu_regs __user *user_regs);
long hsm_vm_hypercall_buffer(struct hsm_vm *vm, u64 hypercall_id, const void *data, size_t size);

/* hsm_mm.c */
long hsm_mm_set_memseg(struct hsm_vm *vm, struct acrn_vm_memmap __user *user_memmap);
long hsm_mm_unset_memseg(struct hsm_vm *vm, struct acrn_vm_memmap __user *user_memmap);
void hsm_mm_release_all(struct hsm_vm *vm);

/* hsm_ioreq.c */
int hsm_ioreq_init(void);
void hsm_ioreq_exit(void);
int hsm_ioreq_attach_buffer(struct hsm_vm *vm, u64 user_address);
void hsm_ioreq_detach_buffer(struct hsm_vm *vm, bool unpin);
long hsm_ioreq_create_client(struct hsm_vm *vm);
long hsm_ioreq_attach_client(struct hsm_vm *vm);
long hsm_ioreq_destroy_client(struct hsm_vm *vm);
long hsm_ioreq_notify_finish(struct hsm_vm *vm, struct acrn_ioreq_notify __user *user_notify);
long hsm_ioreq_clear(struct hsm_vm *vm);
void hsm_ioreq_upcall(void); /* interrupt context: a slot became PENDING */

/* hsm_irq.c */
long hsm_irq_inject_msi(struct hsm_vm *vm, struct acrn_msi_entry __user *user_msi);
long hsm_irq_set_irqline(struct hsm_vm *vm, u64 irqline);
long hsm_irq_ptdev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_ptdev_irq __user *user_irq);
long hsm_irq_intr_monitor(struct hsm_vm *vm, u64 user_address);
void hsm_irq_release(struct hsm_vm *vm);

/* hsm_dev.c */
long hsm_dev_pcidev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_pcidev __user *user_pcidev);
long hsm_dev_mmiodev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_mmiodev __user *user_mmiodev);
long hsm_dev_vdev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_vdev __user *user_vdev);
long hsm_dev_pm_get_cpu_state(struct hsm_vm *vm, u64 __user *user_command);

/* hsm_ioeventfd.c: called by the dispatcher with vm->ioreq_lock held */
long hsm_ioeventfd_ioctl(struct hsm_vm *vm, struct acrn_ioeventfd __user *user_ioeventfd);
bool hsm_ioeventfd_handle(struct hsm_vm *vm, struct acrn_io_request *req);
void hsm_ioeventfd_release(struct hsm_vm *vm);

/* hsm_irqfd.c */
long hsm_irqfd_ioctl(struct hsm_vm *vm, struct acrn_irqfd __user *user_irqfd);
void hsm_irqfd_release(struct hsm_vm *vm);

/* hsm_notify.c */
int hsm_notify_init(void);
void hsm_notify_exit(void);

#endif /* HSM_H */
