/* libfdt expects a hosted <string.h>; the kernel provides these itself. */
#include <kernel/kernel.h>
