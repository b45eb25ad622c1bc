// SPDX-License-Identifier: GPL-2.0
/* arch/hm has no assembly that needs structure offsets */
#include <linux/kbuild.h>
int main(void)
{
	return 0;
}
