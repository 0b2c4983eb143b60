test_instr_alu_SRCS := core/instr_alu.c core/instr_table.c
