test_vpic_SRCS := vdev/vpic.c tests/log_capture.c
