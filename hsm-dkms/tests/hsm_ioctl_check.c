// SPDX-License-Identifier: GPL-2.0
/*
 * Drives /dev/acrn_hsm through its real ioctl path and prints one TAP line per check:
 * what the module must refuse before a VM exists, and, once the hypervisor creates one,
 * the argument checks of every ioctl, the eventfd clients and the ioreq client states.
 * It needs a Service VM under the hypervisor: the machine tests put it (static) in the
 * Service VM's initramfs. Usage: hsm_ioctl_check [DEVICE]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <acrn/hsm_ioctl.h>

static int failures;

/* Issues one ioctl and compares the errno it ends with (0 = success). */
static void expect(int fd, unsigned long request, void *arg, int want_errno, const char *what)
{
	int got = ioctl(fd, request, arg) == 0 ? 0 : errno;

	if (got == want_errno) {
		printf("ok - %s\n", what);
		return;
	}
	printf("not ok - %s (got %s, want %s)\n", what, got ? strerror(got) : "success",
	       want_errno ? strerror(want_errno) : "success");
	failures++;
}

static void expect_value(int fd, unsigned long request, unsigned long value, int want_errno,
			 const char *what)
{
	expect(fd, request, (void *)value, want_errno, what);
}

static void check_before_vm(int fd, void *ioreq_page)
{
	struct acrn_vm_creation creation = { .ioreq_buf = (uintptr_t)ioreq_page };

	expect(fd, ACRN_IOCTL_START_VM, NULL, EINVAL, "no VM yet: START_VM is EINVAL");
	expect(fd, ACRN_IO(0xFE), NULL, EINVAL, "no VM yet: even an unknown ioctl is EINVAL");
	creation.reserved0 = 1;
	expect(fd, ACRN_IOCTL_CREATE_VM, &creation, EINVAL, "CREATE_VM: reserved0 set is EINVAL");
	creation.reserved0 = 0;
	creation.ioreq_buf += 8;
	expect(fd, ACRN_IOCTL_CREATE_VM, &creation, EINVAL,
	       "CREATE_VM: an ioreq buffer off a page boundary is EINVAL");
}

static void check_arguments(int fd, uint16_t vcpu_num)
{
	struct acrn_ioreq_notify notify = { .reserved = 1 };
	struct acrn_vm_memmap memmap = { .type = ACRN_MEMMAP_RAM,
					 .attr = ACRN_MEM_ACCESS_RWX | ACRN_MEM_TYPE_UC,
					 .vma_base = 0x10000000,
					 .len = 0x1000 };
	struct acrn_vcpu_regs regs;
	uint64_t pm_command = 9;

	expect(fd, ACRN_IO(0xFE), NULL, ENOTTY, "unknown ioctl is ENOTTY");
	expect_value(fd, ACRN_IOCTL_SET_IRQLINE, 4ul << 32, EINVAL, "SET_IRQLINE: op 4 is EINVAL");
	expect(fd, ACRN_IOCTL_NOTIFY_REQUEST_FINISH, &notify, EINVAL,
	       "NOTIFY_REQUEST_FINISH: reserved set is EINVAL");
	notify = (struct acrn_ioreq_notify){ .vcpu = vcpu_num };
	expect(fd, ACRN_IOCTL_NOTIFY_REQUEST_FINISH, &notify, EINVAL,
	       "NOTIFY_REQUEST_FINISH: vCPU beyond the VM is EINVAL");
	notify.vcpu = 0;
	expect(fd, ACRN_IOCTL_NOTIFY_REQUEST_FINISH, &notify, EINVAL,
	       "NOTIFY_REQUEST_FINISH: a slot nobody is processing is EINVAL");
	expect(fd, ACRN_IOCTL_SET_MEMSEG, &memmap, EINVAL,
	       "SET_MEMSEG: a memory type in attr is EINVAL");
	memmap.attr = ACRN_MEM_ACCESS_RWX;
	memmap.len = 0x1800;
	expect(fd, ACRN_IOCTL_SET_MEMSEG, &memmap, EINVAL, "SET_MEMSEG: a partial page is EINVAL");
	memmap.len = 0x1000;
	expect(fd, ACRN_IOCTL_UNSET_MEMSEG, &memmap, EINVAL, "UNSET_MEMSEG: RAM is EINVAL");
	memset(&regs, 0, sizeof(regs));
	regs.vcpu_regs.reserved_32[0] = 1;
	expect(fd, ACRN_IOCTL_SET_VCPU_REGS, &regs, EINVAL,
	       "SET_VCPU_REGS: reserved_32 set is EINVAL");
	expect(fd, ACRN_IOCTL_PM_GET_CPU_STATE, &pm_command, EINVAL,
	       "PM_GET_CPU_STATE: command type 9 is EINVAL");
}

static void check_eventfd_clients(int fd)
{
	int event = eventfd(0, EFD_CLOEXEC);
	struct acrn_ioeventfd ioeventfd = {
		.fd = (uint32_t)event, .flags = ACRN_IOEVENTFD_FLAG_PIO, .addr = 0xC050, .len = 3
	};
	struct acrn_irqfd irqfd = { .fd = event,
				    .flags = 2,
				    .msi = { .msi_addr = 0xFEE00000u, .msi_data = 0x41 } };

	expect(fd, ACRN_IOCTL_IOEVENTFD, &ioeventfd, EINVAL, "IOEVENTFD: length 3 is EINVAL");
	ioeventfd.len = 2;
	expect(fd, ACRN_IOCTL_IOEVENTFD, &ioeventfd, 0, "IOEVENTFD: assign");
	expect(fd, ACRN_IOCTL_IOEVENTFD, &ioeventfd, EEXIST, "IOEVENTFD: the same again is EEXIST");
	ioeventfd.flags |= ACRN_IOEVENTFD_FLAG_DEASSIGN;
	expect(fd, ACRN_IOCTL_IOEVENTFD, &ioeventfd, 0, "IOEVENTFD: deassign");
	expect(fd, ACRN_IOCTL_IOEVENTFD, &ioeventfd, ENOENT,
	       "IOEVENTFD: deassigning it twice is ENOENT");
	expect(fd, ACRN_IOCTL_IRQFD, &irqfd, EINVAL, "IRQFD: unknown flag is EINVAL");
	irqfd.flags = 0;
	expect(fd, ACRN_IOCTL_IRQFD, &irqfd, 0, "IRQFD: assign");
	expect(fd, ACRN_IOCTL_IRQFD, &irqfd, EBUSY, "IRQFD: the same eventfd again is EBUSY");
	irqfd.flags = ACRN_IRQFD_FLAG_DEASSIGN;
	expect(fd, ACRN_IOCTL_IRQFD, &irqfd, 0, "IRQFD: deassign");
	close(event);
}

static void check_ioreq_client(int fd)
{
	expect(fd, ACRN_IOCTL_ATTACH_IOREQ_CLIENT, NULL, ENODEV,
	       "ATTACH without a client is ENODEV");
	expect(fd, ACRN_IOCTL_CREATE_IOREQ_CLIENT, NULL, 0, "CREATE_IOREQ_CLIENT");
	expect(fd, ACRN_IOCTL_CREATE_IOREQ_CLIENT, NULL, EEXIST,
	       "CREATE_IOREQ_CLIENT a second time is EEXIST");
	expect(fd, ACRN_IOCTL_DESTROY_IOREQ_CLIENT, NULL, 0, "DESTROY_IOREQ_CLIENT");
}

int main(int argc, char **argv)
{
	const char *device = argc > 1 ? argv[1] : "/dev/" ACRN_HSM_DEVICE_NAME;
	struct acrn_vm_creation creation;
	void *ioreq_page;
	int fd;

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("not ok - open %s (%s)\n", device, strerror(errno));
		return 1;
	}
	ioreq_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ioreq_page == MAP_FAILED) {
		printf("not ok - an ioreq page (%s)\n", strerror(errno));
		return 1;
	}
	check_before_vm(fd, ioreq_page);

	memset(&creation, 0, sizeof(creation));
	memcpy(creation.name, "HSM_CHECK_VM", 13);
	creation.ioreq_buf = (uintptr_t)ioreq_page;
	if (ioctl(fd, ACRN_IOCTL_CREATE_VM, &creation) != 0) {
		/* The hypervisor's own answer, passed through: nothing more to check then. */
		printf("# CREATE_VM: %s; the checks that need a VM are skipped\n", strerror(errno));
	} else {
		expect(fd, ACRN_IOCTL_CREATE_VM, &creation, EEXIST,
		       "CREATE_VM a second time on one file is EEXIST");
		check_arguments(fd, creation.vcpu_num);
		check_eventfd_clients(fd);
		check_ioreq_client(fd);
		expect(fd, ACRN_IOCTL_PAUSE_VM, NULL, 0, "PAUSE_VM");
		expect(fd, ACRN_IOCTL_DESTROY_VM, NULL, 0, "DESTROY_VM");
		expect(fd, ACRN_IOCTL_START_VM, NULL, EINVAL,
		       "after DESTROY_VM: START_VM is EINVAL");
	}
	close(fd);
	printf("# %d failed\n", failures);
	return failures ? 1 : 0;
}
