// SPDX-License-Identifier: GPL-2.0
/*
 * Console input for the guest: bounded queues of bytes the host holds
 * until the guest takes them. There are two, each with its own feeders:
 * pvkit's console (vm->console_in, drained by the guest's CONSOLE_READ
 * hypercall; fed by "ctl console-send TEXT" and --console-stdin) and the
 * UART's receiver (vm->serial_in, read a byte at a time from the receive
 * register; fed by "ctl serial-send TEXT" and --serial-stdin). A ctl line
 * goes in whole or, when it does not fit, not at all and with an error;
 * the standard input reader waits for room rather than drop a byte. New
 * bytes tell the guest: PVKIT_EV_CONSOLE_IN (if it enabled that event)
 * or the UART's receive interrupt (if its driver enabled it); either way
 * the bytes wait. Everything is under vm->lock.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv.h"

/* How long the stdin reader waits for the guest to make room. */
#define CONSOLE_IN_RETRY_NS	20000000L

static size_t in_room(const struct input_queue *q)
{
	return sizeof(q->buf) - q->len;
}

/* Tells the guest that @q has new bytes. */
static void input_arrived(struct vm *vm, struct input_queue *q)
{
	if (q == &vm->serial_in)
		uart__input_arrived(vm);
	else
		events__post(vm, PVKIT_EV_CONSOLE_IN);
}

/*
 * Queues all of @len bytes, or none if they do not fit; tells the guest.
 * 0, or -ENOSPC with the room there was in @room (if not NULL).
 */
int input__push(struct vm *vm, struct input_queue *q, const void *data,
		size_t len, size_t *room)
{
	const uint8_t *p = data;
	size_t tail, first;

	pthread_mutex_lock(&vm->lock);
	if (room)
		*room = in_room(q);
	if (len > in_room(q)) {
		q->refused += len;
		pthread_mutex_unlock(&vm->lock);
		return -ENOSPC;
	}
	tail = (q->head + q->len) % sizeof(q->buf);
	first = sizeof(q->buf) - tail;
	if (first > len)
		first = len;
	memcpy(q->buf + tail, p, first);
	memcpy(q->buf, p + first, len - first);
	q->len += len;
	q->accepted += len;
	pthread_mutex_unlock(&vm->lock);
	if (len)
		input_arrived(vm, q);
	return 0;
}

/* Moves up to @max queued bytes to @dst, oldest first; how many. */
size_t input__read(struct vm *vm, struct input_queue *q, void *dst,
		   size_t max)
{
	uint8_t *out = dst;
	size_t n, first;

	pthread_mutex_lock(&vm->lock);
	n = q->len < max ? q->len : max;
	first = sizeof(q->buf) - q->head;
	if (first > n)
		first = n;
	memcpy(out, q->buf + q->head, first);
	memcpy(out + first, q->buf, n - first);
	q->head = (q->head + n) % sizeof(q->buf);
	q->len -= n;
	q->delivered += n;
	if (!q->len)
		q->head = 0;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

size_t input__pending(struct vm *vm, struct input_queue *q)
{
	size_t n;

	pthread_mutex_lock(&vm->lock);
	n = q->len;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

/* "@name": {...} for "ctl info": what waits, what went through. */
void input__json(struct vm *vm, struct input_queue *q, const char *name,
		 FILE *out)
{
	pthread_mutex_lock(&vm->lock);
	fprintf(out, "  \"%s\": {\"pending\": %zu, \"room\": %zu, \"accepted\": %llu, \"delivered\": %llu, \"refused\": %llu}",
		name, q->len, in_room(q), (unsigned long long)q->accepted,
		(unsigned long long)q->delivered,
		(unsigned long long)q->refused);
	pthread_mutex_unlock(&vm->lock);
}

int console_in__push(struct vm *vm, const void *data, size_t len,
		     size_t *room)
{
	return input__push(vm, &vm->console_in, data, len, room);
}

size_t console_in__read(struct vm *vm, void *dst, size_t max)
{
	return input__read(vm, &vm->console_in, dst, max);
}

/*
 * "@cmd TEXT": TEXT and a newline into @q, as if typed and entered, all
 * or nothing. 0, or -1 with the refusal written to @out (@reader: what
 * in the guest should be reading, for the hint).
 */
static int send_line(struct vm *vm, struct input_queue *q, const char *cmd,
		     const char *text, const char *reader, FILE *out)
{
	size_t len = strlen(text), room;
	char line[CONSOLE_SEND_MAX + 1];

	if (len > CONSOLE_SEND_MAX) {
		fprintf(out, "error: %s takes at most %d bytes of text, not %zu\n",
			cmd, CONSOLE_SEND_MAX, len);
		return -1;
	}
	memcpy(line, text, len);
	line[len++] = '\n';
	if (input__push(vm, q, line, len, &room)) {
		fprintf(out, "error: the guest's %s input has room for %zu bytes, the line needs %zu: nothing was sent (is something in the guest reading %s?)\n",
			q == &vm->serial_in ? "serial" : "console", room, len,
			reader);
		return -1;
	}
	return 0;
}

/* "console-send TEXT", for pvkit's console. */
int console_in__ctl_send(struct vm *vm, const char *text, FILE *out)
{
	if (send_line(vm, &vm->console_in, "console-send", text,
		      "/dev/pvcon0", out))
		return -1;
	fprintf(out, "ok: %zu bytes queued for the guest's console%s\n",
		strlen(text) + 1,
		events__enabled(vm) & PVKIT_EV_CONSOLE_IN ? "" :
		"; it does not take console input yet (is pvkit.ko loaded?)");
	return 0;
}

/* "serial-send TEXT", for the UART. */
int serial_in__ctl_send(struct vm *vm, const char *text, FILE *out)
{
	if (send_line(vm, &vm->serial_in, "serial-send", text, "/dev/ttyS0",
		      out))
		return -1;
	fprintf(out, "ok: %zu bytes queued for the guest's serial port%s\n",
		strlen(text) + 1, uart__receiving(vm) ? "" :
		"; its receive interrupt is off (nothing in the guest has /dev/ttyS0 open)");
	return 0;
}

/* Queues @len bytes, waiting for room (pvkit-hv ends with the guest). */
static void push_waiting(struct vm *vm, struct input_queue *q,
			 const uint8_t *p, size_t len)
{
	const struct timespec retry = { .tv_nsec = CONSOLE_IN_RETRY_NS };
	size_t room, n;

	while (len) {
		pthread_mutex_lock(&vm->lock);
		room = in_room(q);
		pthread_mutex_unlock(&vm->lock);
		n = room < len ? room : len;
		/* the only other feeder pushes whole lines: this may not fit */
		if (!n || input__push(vm, q, p, n, NULL)) {
			nanosleep(&retry, NULL);
			continue;
		}
		p += n;
		len -= n;
	}
}

struct reader {
	struct vm *vm;
	struct input_queue *q;
	int fd;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[CONSOLE_IN_MAX];
	ssize_t n;

	for (;;) {
		n = read(r->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		push_waiting(r->vm, r->q, buf, n);
	}
	return NULL;
}

/*
 * --console-stdin or --serial-stdin: feeds what arrives on @fd to @q
 * until EOF. One reader per run (there is one standard input).
 */
int input__start_reader(struct vm *vm, struct input_queue *q, int fd)
{
	static struct reader r;
	pthread_t thread;
	int err;

	r.vm = vm;
	r.q = q;
	r.fd = fd;
	err = pthread_create(&thread, NULL, reader_thread, &r);
	if (!err)
		err = pthread_detach(thread);
	if (err) {
		hv_err("starting the console input reader: %s", strerror(err));
		return -1;
	}
	return 0;
}
