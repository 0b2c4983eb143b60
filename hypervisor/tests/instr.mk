test_instr_SRCS := core/instr_decode.c core/instr_emulate.c core/instr_alu.c core/instr_table.c
