test_mtrr_SRCS := core/mtrr.c
