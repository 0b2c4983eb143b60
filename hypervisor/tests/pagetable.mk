test_pagetable_SRCS := lib/pagetable.c tests/log_capture.c lib/string.c lib/format.c
