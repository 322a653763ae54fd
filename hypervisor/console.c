// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's console on pvkit-hv's standard output. Two sources write
 * to it: the UART, a byte at a time, and the pvkit CONSOLE_WRITE
 * hypercall, a buffer at a time, possibly from another vCPU. Neither may
 * tear the other's lines (a TAP line split by a hypercall's text is a
 * lost test result), so each source keeps its own partial line and only
 * whole lines, or a full line buffer, go out, under one lock. What is
 * left when the guest ends is flushed by console__flush(). The lines of
 * each source are counted, and the hypercall's before the UART's first:
 * an early console's boot messages (--stats).
 */
#include <stdio.h>
#include <unistd.h>

#include "hv.h"

void console__init(struct vm *vm)
{
	pthread_mutex_init(&vm->console.lock, NULL);
}

static void console_out(const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

void console__write(struct vm *vm, enum console_source src, const void *buf,
		    size_t len)
{
	struct console_line *line = &vm->console.line[src];
	const char *p = buf;

	pthread_mutex_lock(&vm->console.lock);
	while (len--) {
		line->buf[line->len++] = *p;
		if (*p++ == '\n' || line->len == sizeof(line->buf)) {
			console_out(line->buf, line->len);
			line->len = 0;
			vm->console.lines[src]++;
			if (src == CONSOLE_HYPERCALL &&
			    !vm->console.lines[CONSOLE_UART])
				vm->console.hypercall_before_uart++;
		}
	}
	pthread_mutex_unlock(&vm->console.lock);
}

void console__json(struct vm *vm, FILE *out)
{
	struct console *c = &vm->console;

	pthread_mutex_lock(&c->lock);
	fprintf(out, "  \"console\": {\"uart_lines\": %llu, \"hypercall_lines\": %llu, \"hypercall_lines_before_uart\": %llu},\n",
		(unsigned long long)c->lines[CONSOLE_UART],
		(unsigned long long)c->lines[CONSOLE_HYPERCALL],
		(unsigned long long)c->hypercall_before_uart);
	pthread_mutex_unlock(&c->lock);
}

void console__flush(struct vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->console.lock);
	for (i = 0; i < CONSOLE_SOURCES; i++) {
		console_out(vm->console.line[i].buf, vm->console.line[i].len);
		vm->console.line[i].len = 0;
	}
	pthread_mutex_unlock(&vm->console.lock);
}
