/* The quota exhaustion cases (quota_cases.c), run by a process whose
 * creator limited every kind of its quota: kt_helper "quota" (a client,
 * kt_quota) and kt_msidrv (a container, devices-msi.conf's limits line). */
#ifndef QUOTA_CASES_H
#define QUOTA_CASES_H
/* each kind past its limit: ENOMEM, and the process still works; who names
 * the process in the case names */
void quota_cases(const char *who);
#endif
