test_instr_fuzz_SRCS := core/instr_decode.c core/instr_emulate.c core/instr_alu.c core/instr_table.c
