// SPDX-License-Identifier: GPL-2.0
/*
 * Console input for the guest: a bounded buffer of bytes waiting for the
 * guest's CONSOLE_READ hypercall. Two feeders fill it: the control
 * socket's "console-send TEXT" (all of a line or, when it does not fit,
 * none of it and an error) and, with --console-stdin, pvkit-hv's standard
 * input (a reader thread that waits for room rather than drop a byte).
 * Each time bytes arrive, the guest is told with PVKIT_EV_CONSOLE_IN, if
 * it enabled that event; the bytes wait for it either way. Everything is
 * under vm->lock.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv.h"

/* How long the stdin reader waits for the guest to make room. */
#define CONSOLE_IN_RETRY_NS	20000000L

static size_t in_room(const struct console_in *in)
{
	return sizeof(in->buf) - in->len;
}

/*
 * Queues all of @len bytes, or none if they do not fit; tells the guest.
 * 0, or -ENOSPC with the room there was in @room (if not NULL).
 */
int console_in__push(struct vm *vm, const void *data, size_t len,
		     size_t *room)
{
	struct console_in *in = &vm->console_in;
	const uint8_t *p = data;
	size_t tail, first;

	pthread_mutex_lock(&vm->lock);
	if (room)
		*room = in_room(in);
	if (len > in_room(in)) {
		in->refused += len;
		pthread_mutex_unlock(&vm->lock);
		return -ENOSPC;
	}
	tail = (in->head + in->len) % sizeof(in->buf);
	first = sizeof(in->buf) - tail;
	if (first > len)
		first = len;
	memcpy(in->buf + tail, p, first);
	memcpy(in->buf, p + first, len - first);
	in->len += len;
	in->accepted += len;
	pthread_mutex_unlock(&vm->lock);
	if (len)
		events__post(vm, PVKIT_EV_CONSOLE_IN);
	return 0;
}

/* Moves up to @max queued bytes to @dst, oldest first; how many. */
size_t console_in__read(struct vm *vm, void *dst, size_t max)
{
	struct console_in *in = &vm->console_in;
	uint8_t *out = dst;
	size_t n, first;

	pthread_mutex_lock(&vm->lock);
	n = in->len < max ? in->len : max;
	first = sizeof(in->buf) - in->head;
	if (first > n)
		first = n;
	memcpy(out, in->buf + in->head, first);
	memcpy(out + first, in->buf, n - first);
	in->head = (in->head + n) % sizeof(in->buf);
	in->len -= n;
	in->delivered += n;
	if (!in->len)
		in->head = 0;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

/* "console_in" for "ctl info": what waits, what went through. */
void console_in__json(struct vm *vm, FILE *out)
{
	struct console_in *in = &vm->console_in;

	pthread_mutex_lock(&vm->lock);
	fprintf(out, "  \"console_in\": {\"pending\": %zu, \"room\": %zu, \"accepted\": %llu, \"delivered\": %llu, \"refused\": %llu}",
		in->len, in_room(in), (unsigned long long)in->accepted,
		(unsigned long long)in->delivered,
		(unsigned long long)in->refused);
	pthread_mutex_unlock(&vm->lock);
}

/*
 * "console-send TEXT": TEXT and a newline, as if typed and entered, all
 * or nothing. The answer says whether the guest takes input yet.
 */
int console_in__ctl_send(struct vm *vm, const char *text, FILE *out)
{
	size_t len = strlen(text), room;
	char line[CONSOLE_SEND_MAX + 1];

	if (len > CONSOLE_SEND_MAX) {
		fprintf(out, "error: console-send takes at most %d bytes of text, not %zu\n",
			CONSOLE_SEND_MAX, len);
		return -1;
	}
	memcpy(line, text, len);
	line[len++] = '\n';
	if (console_in__push(vm, line, len, &room)) {
		fprintf(out, "error: the guest's console input has room for %zu bytes, the line needs %zu: nothing was sent (is something in the guest reading /dev/pvcon0?)\n",
			room, len);
		return -1;
	}
	if (events__enabled(vm) & PVKIT_EV_CONSOLE_IN)
		fprintf(out, "ok: %zu bytes queued for the guest's console\n",
			len);
	else
		fprintf(out, "ok: %zu bytes queued for the guest's console; it does not take console input yet (is pvkit.ko loaded?)\n",
			len);
	return 0;
}

/* Queues @len bytes, waiting for room (pvkit-hv ends with the guest). */
static void push_waiting(struct vm *vm, const uint8_t *p, size_t len)
{
	const struct timespec retry = { .tv_nsec = CONSOLE_IN_RETRY_NS };
	size_t room, n;

	while (len) {
		pthread_mutex_lock(&vm->lock);
		room = in_room(&vm->console_in);
		pthread_mutex_unlock(&vm->lock);
		n = room < len ? room : len;
		/* the only other feeder pushes whole lines: this may not fit */
		if (!n || console_in__push(vm, p, n, NULL)) {
			nanosleep(&retry, NULL);
			continue;
		}
		p += n;
		len -= n;
	}
}

struct reader {
	struct vm *vm;
	int fd;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[sizeof(r->vm->console_in.buf)];
	ssize_t n;

	for (;;) {
		n = read(r->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		push_waiting(r->vm, buf, n);
	}
	return NULL;
}

/* --console-stdin: feeds what arrives on @fd to the guest until EOF. */
int console_in__start_reader(struct vm *vm, int fd)
{
	static struct reader r;
	pthread_t thread;
	int err;

	r.vm = vm;
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
