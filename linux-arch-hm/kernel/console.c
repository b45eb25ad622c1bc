// SPDX-License-Identifier: GPL-2.0
/* printk's console: DC-base's log buffer, which `dmesg` reads */
#include <linux/console.h>
#include <linux/init.h>
#include <dc_host.h>

static void hm_con_write(struct console *con, const char *s, unsigned int n)
{
	dc_host_log(s, n);
}

static struct console hm_con = {
	.name = "hmlog",
	.write = hm_con_write,
	.flags = CON_PRINTBUFFER | CON_ENABLED,
	.index = -1,
};

static int __init hm_console_init(void)
{
	register_console(&hm_con);
	return 0;
}
console_initcall(hm_console_init);
