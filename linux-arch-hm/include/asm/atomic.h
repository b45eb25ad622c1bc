/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_ATOMIC_H
#define _ASM_HM_ATOMIC_H
#include <linux/types.h>
#include <asm/cmpxchg.h>
#include <asm/barrier.h>

#define ATOMIC64_INIT(i)	{ (i) }

#define arch_atomic_read(v)		READ_ONCE((v)->counter)
#define arch_atomic_set(v, i)		WRITE_ONCE((v)->counter, (i))
#define arch_atomic64_read(v)		READ_ONCE((v)->counter)
#define arch_atomic64_set(v, i)		WRITE_ONCE((v)->counter, (i))

#define HM_ATOMIC_OP(pfx, type, op, builtin)				\
static inline void arch_##pfx##_##op(type i, pfx##_t *v)		\
{ __atomic_##builtin((&v->counter), i, __ATOMIC_RELAXED); }		\
static inline type arch_##pfx##_fetch_##op(type i, pfx##_t *v)		\
{ return __atomic_##builtin((&v->counter), i, __ATOMIC_SEQ_CST); }
#define HM_ATOMIC_RET(pfx, type, op, builtin)				\
static inline type arch_##pfx##_##op##_return(type i, pfx##_t *v)	\
{ return __atomic_##builtin((&v->counter), i, __ATOMIC_SEQ_CST); }

#define HM_ATOMIC_ALL(pfx, type)					\
HM_ATOMIC_OP(pfx, type, add, fetch_add)					\
HM_ATOMIC_OP(pfx, type, sub, fetch_sub)					\
HM_ATOMIC_OP(pfx, type, and, fetch_and)					\
HM_ATOMIC_OP(pfx, type, or, fetch_or)					\
HM_ATOMIC_OP(pfx, type, xor, fetch_xor)					\
HM_ATOMIC_RET(pfx, type, add, add_fetch)				\
HM_ATOMIC_RET(pfx, type, sub, sub_fetch)

HM_ATOMIC_ALL(atomic, int)
HM_ATOMIC_ALL(atomic64, s64)

#define arch_atomic_add arch_atomic_add
#define arch_atomic_sub arch_atomic_sub
#define arch_atomic_and arch_atomic_and
#define arch_atomic_or arch_atomic_or
#define arch_atomic_xor arch_atomic_xor
#define arch_atomic_fetch_add arch_atomic_fetch_add
#define arch_atomic_fetch_sub arch_atomic_fetch_sub
#define arch_atomic_fetch_and arch_atomic_fetch_and
#define arch_atomic_fetch_or arch_atomic_fetch_or
#define arch_atomic_fetch_xor arch_atomic_fetch_xor
#define arch_atomic_add_return arch_atomic_add_return
#define arch_atomic_sub_return arch_atomic_sub_return
#define arch_atomic64_add arch_atomic64_add
#define arch_atomic64_sub arch_atomic64_sub
#define arch_atomic64_and arch_atomic64_and
#define arch_atomic64_or arch_atomic64_or
#define arch_atomic64_xor arch_atomic64_xor
#define arch_atomic64_fetch_add arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and arch_atomic64_fetch_and
#define arch_atomic64_fetch_or arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor arch_atomic64_fetch_xor
#define arch_atomic64_add_return arch_atomic64_add_return
#define arch_atomic64_sub_return arch_atomic64_sub_return

#define arch_atomic_xchg(v, n)		arch_xchg(&(v)->counter, (n))
#define arch_atomic_cmpxchg(v, o, n)	arch_cmpxchg(&(v)->counter, (o), (n))
#define arch_atomic64_xchg(v, n)	arch_xchg(&(v)->counter, (n))
#define arch_atomic64_cmpxchg(v, o, n)	arch_cmpxchg(&(v)->counter, (o), (n))
#endif
