test_acpi_SRCS := core/acpi.c core/acpi_tables.c core/acpi_aml.c tests/acpi_fw.c \
	tests/log_capture.c lib/string.c lib/format.c
