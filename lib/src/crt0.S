/* Process entry: x0 = the startup block (uapi/hm/startup.h), sp = stack.
 * A new thread created by hm_thread_start enters at hm_thread_trampoline. */
    .text
    .global _start
_start:
    mov     x29, #0
    mov     x30, #0
    bl      __hm_start
    b       .
