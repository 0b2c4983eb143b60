/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * int vmx_enter_guest(struct guest_regs *regs, int launched)
 *
 * Saves the callee-saved host registers, points the VMCS host RSP at this
 * stack, loads the guest's general registers and CR2, and runs the guest
 * with VMLAUNCH or VMRESUME. A VM exit lands at vmx_exit_entry (the VMCS
 * host RIP), which stores the guest registers back and returns 0. If the
 * VM entry itself fails, control falls through and 1 (VMfailInvalid) or
 * 2 (VMfailValid) is returned.
 */
#define VMCS_HOST_RSP 0x6c14
#define REGS_CR2 (16 * 8)

	.text
	.code64
	.globl vmx_enter_guest
vmx_enter_guest:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* regs, found again at (%rsp) after the exit */

	movl $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax

	movq REGS_CR2(%rdi), %rax
	movq %rax, %cr2
	movl %esi, %eax			/* launched? */
	testl %eax, %eax

	movq 0*8(%rdi), %rax
	movq 1*8(%rdi), %rcx
	movq 2*8(%rdi), %rdx
	movq 3*8(%rdi), %rbx
	movq 5*8(%rdi), %rbp
	movq 6*8(%rdi), %rsi
	movq 8*8(%rdi), %r8
	movq 9*8(%rdi), %r9
	movq 10*8(%rdi), %r10
	movq 11*8(%rdi), %r11
	movq 12*8(%rdi), %r12
	movq 13*8(%rdi), %r13
	movq 14*8(%rdi), %r14
	movq 15*8(%rdi), %r15
	movq 7*8(%rdi), %rdi		/* last: it held the pointer */

	jnz 1f				/* flags from the testl above survive the movs */
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* VM entry failed: CF = invalid VMCS pointer, ZF = error in VMCS_INSTR_ERROR */
	movl $1, %eax
	jc 3f
	movl $2, %eax
3:	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.globl vmx_exit_entry
vmx_exit_entry:
	/* Guest registers are live; the host stack top holds the regs pointer. */
	pushq %rdi
	movq 8(%rsp), %rdi
	movq %rax, 0*8(%rdi)
	movq %rcx, 1*8(%rdi)
	movq %rdx, 2*8(%rdi)
	movq %rbx, 3*8(%rdi)
	movq %rbp, 5*8(%rdi)
	movq %rsi, 6*8(%rdi)
	movq %r8, 8*8(%rdi)
	movq %r9, 9*8(%rdi)
	movq %r10, 10*8(%rdi)
	movq %r11, 11*8(%rdi)
	movq %r12, 12*8(%rdi)
	movq %r13, 13*8(%rdi)
	movq %r14, 14*8(%rdi)
	movq %r15, 15*8(%rdi)
	popq %rax
	movq %rax, 7*8(%rdi)
	movq %cr2, %rax
	movq %rax, REGS_CR2(%rdi)
	xorl %eax, %eax
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
