/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's spellings of a few compiler attributes, so that pvkit-hv's
 * userspace code reads like the kernel code beside it. checkpatch cannot
 * tell a definition of __packed from a use of the raw attribute, so this
 * file is named in scripts/checkpatch-exceptions.
 */
#ifndef PVKIT_HV_COMPILER_H
#define PVKIT_HV_COMPILER_H

#define __packed		__attribute__((__packed__))
#define __printf(a, b)		__attribute__((__format__(__printf__, a, b)))
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#endif /* PVKIT_HV_COMPILER_H */
