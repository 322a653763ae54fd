// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket of pvkit-hv (--control PATH) and its client
 * (pvkit-hv ctl PATH COMMAND). A thread serves one client at a time: the
 * client sends one line, the thread answers and closes the connection.
 * "info" and "stats" answer JSON; "shutdown" and "reboot" post a
 * host-to-guest event (events.c) and, if the guest has not ended
 * --shutdown-timeout seconds later, end the VM with HV_EXIT_FORCED;
 * "console-send TEXT" and "serial-send TEXT" queue a line of input for
 * pvkit's console or the UART (console_in.c);
 * "pause" and "resume" stop and restart the vCPUs (pause.c);
 * "balloon SIZE" sets the balloon's target (balloon.c) and "queue-max
 * DEVICE N" a device's queue size from its next reset (virtio_ctl.c). An
 * answer that starts with "error:" is a refusal, and the client exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hv.h"
#include "hypercall.h"

/* longest command line, in bytes: a word and its argument */
#define CONTROL_LINE_MAX	(64 + CONSOLE_SEND_MAX)
#define CONTROL_IO_TIMEOUT	5	/* seconds a client may take */
#define CONTROL_ANSWER_TIMEOUT	30	/* seconds the client waits */
#define SOCKET_PATH_MAX		sizeof(((struct sockaddr_un *)NULL)->sun_path)

struct control {
	int fd;
	char path[SOCKET_PATH_MAX];
	pthread_t thread;
	struct timespec started;
	const char *request;		/* "power off", "reboot" or NULL */
	struct timespec deadline;	/* of the request, with a timeout */
	bool forced;
};

static const char * const event_names[] = {
	"shutdown", "reboot", "balloon", "console_in", "clock",
};

_Static_assert((1u << ARRAY_SIZE(event_names)) - 1 == PVKIT_EV_ALL,
	       "a name for every event");

/* A JSON string (or null), escaped; the paths come from the user. */
static void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_event_list(FILE *out, uint32_t events)
{
	unsigned int i, n = 0;

	fputc('[', out);
	for (i = 0; i < ARRAY_SIZE(event_names); i++)
		if (events & (1u << i))
			fprintf(out, "%s\"%s\"", n++ ? ", " : "", event_names[i]);
	fputc(']', out);
}

/* "guest": what GUEST_INFO last said, and whether reports still come. */
static void json_guest(struct vm *vm, FILE *out)
{
	const struct pvkit_guest_info *g;
	struct guest_report r;
	unsigned int i, n;
	double age;

	pthread_mutex_lock(&vm->lock);
	r = vm->guest;
	pthread_mutex_unlock(&vm->lock);
	if (!r.count) {
		fputs("  \"guest\": {\"heartbeat\": \"never\"}", out);
		return;
	}
	g = &r.info;
	age = hv_ns_since(&r.at) / 1e9;
	fprintf(out, "  \"guest\": {\"heartbeat\": \"%s\", \"report_age_s\": %.1f, \"reports\": %llu,\n",
		age > HV_GUEST_STALE_S ? "stopped" : "ok", age,
		(unsigned long long)r.count);
	fputs("    \"kernel_release\": ", out);
	json_string(out, g->kernel_release);
	fputs(", \"hostname\": ", out);
	json_string(out, g->hostname);
	fprintf(out, ",\n    \"uptime_s\": %llu, \"mem_used\": %llu, \"load\": [%.2f, %.2f, %.2f],\n    \"ipv4\": [",
		(unsigned long long)g->uptime_s,
		(unsigned long long)g->mem_used, g->load_avg_milli[0] / 1000.0,
		g->load_avg_milli[1] / 1000.0, g->load_avg_milli[2] / 1000.0);
	n = g->addr_count < PVKIT_GUEST_INFO_ADDRS ? g->addr_count :
						       PVKIT_GUEST_INFO_ADDRS;
	for (i = 0; i < n; i++)
		fprintf(out, "%s\"%u.%u.%u.%u\"", i ? ", " : "", g->ipv4[i][0],
			g->ipv4[i][1], g->ipv4[i][2], g->ipv4[i][3]);
	fputs("]}", out);
}

static int ctl_info(struct vm *vm, FILE *out)
{
	const struct vm_config *cfg = vm->cfg;
	struct control *ctl = vm->control;
	uint32_t enabled = events__enabled(vm);

	fprintf(out, "{\n  \"pid\": %d,\n  \"state\": \"%s\",\n",
		(int)getpid(), ctl->request ? "stopping" :
			       pause__paused(vm) ? "paused" : "running");
	fprintf(out, "  \"uptime_s\": %.1f,\n", hv_ns_since(&ctl->started) / 1e9);
	fprintf(out, "  \"vcpus\": %u,\n  \"memory_mib\": %llu,\n",
		vm->nr_vcpus, (unsigned long long)(vm->ram_size >> 20));
	fputs("  \"kernel\": ", out);
	json_string(out, cfg->kernel);
	fputs(",\n  \"initrd\": ", out);
	json_string(out, cfg->initrd);
	fputs(",\n  \"cmdline\": ", out);
	json_string(out, cfg->cmdline);
	fprintf(out, ",\n  \"abi_version\": \"%u.%u\",\n",
		PVKIT_ABI_VERSION_MAJOR, PVKIT_ABI_VERSION_MINOR);
	fprintf(out, "  \"events\": {\"irq\": %u, \"enabled\": %s, \"handled\": ",
		HV_EVENTS_IRQ, enabled ? "true" : "false");
	json_event_list(out, enabled);
	fprintf(out, "},\n  \"shutdown_timeout_s\": %u,\n",
		cfg->shutdown_timeout);
	json_guest(vm, out);
	fputs(",\n", out);
	input__json(vm, &vm->console_in, "console_in", out);
	fputs(",\n", out);
	input__json(vm, &vm->serial_in, "serial_in", out);
	fputs(",\n", out);
	balloon__json(vm, out);
	fputs("\n}\n", out);
	return 0;
}

static int ctl_stats(struct vm *vm, FILE *out)
{
	stats__print(vm, out);
	return 0;
}

/* Posts @event; the first request starts the --shutdown-timeout clock. */
static int ctl_request(struct vm *vm, FILE *out, uint32_t event,
		       const char *what)
{
	struct control *ctl = vm->control;
	unsigned int timeout = vm->cfg->shutdown_timeout;
	uint32_t enabled = events__enabled(vm);

	if (!enabled || !events__post(vm, event)) {
		fprintf(out, "error: the guest %s (is pvkit.ko loaded?): it was not asked to %s\n",
			enabled ? "does not handle this event" :
				  "has not enabled pvkit events",
			what);
		return -1;
	}
	hv_info("asked the guest to %s (control socket)", what);
	if (!ctl->request) {
		ctl->request = what;
		clock_gettime(CLOCK_MONOTONIC, &ctl->deadline);
		ctl->deadline.tv_sec += timeout;
	}
	if (!timeout) {
		fprintf(out, "ok: asked the guest to %s\n", what);
		return 0;
	}
	fprintf(out, "ok: asked the guest to %s; pvkit-hv ends it in %.0f s if it has not ended by then\n",
		what, -hv_ns_since(&ctl->deadline) / 1e9);
	return 0;
}

static int ctl_shutdown(struct vm *vm, FILE *out)
{
	return ctl_request(vm, out, PVKIT_EV_SHUTDOWN, "power off");
}

static int ctl_reboot(struct vm *vm, FILE *out)
{
	return ctl_request(vm, out, PVKIT_EV_REBOOT, "reboot");
}

static const struct {
	const char *name;
	int (*fn)(struct vm *vm, FILE *out);
} control_cmds[] = {
	{ "info", ctl_info },
	{ "stats", ctl_stats },
	{ "shutdown", ctl_shutdown },
	{ "reboot", ctl_reboot },
	{ "pause", pause__ctl_pause },
	{ "resume", pause__ctl_resume },
};

/* Commands with an argument: "NAME ARG" (or "NAME", ARG empty). */
static const struct {
	const char *name;
	int (*fn)(struct vm *vm, const char *arg, FILE *out);
} control_arg_cmds[] = {
	{ "console-send", console_in__ctl_send },
	{ "serial-send", serial_in__ctl_send },
	{ "balloon", balloon__ctl },
	{ "queue-max", virtio_ctl__queue_max },
};

/* Runs @cmd if it is a command with an argument; false if not. */
static bool control_run_arg(struct vm *vm, char *cmd, FILE *out)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(control_arg_cmds); i++) {
		n = strlen(control_arg_cmds[i].name);
		if (strncmp(cmd, control_arg_cmds[i].name, n) ||
		    (cmd[n] && cmd[n] != ' '))
			continue;
		control_arg_cmds[i].fn(vm, cmd[n] ? cmd + n + 1 : "", out);
		return true;
	}
	return false;
}

static void control_run(struct vm *vm, char *cmd, FILE *out)
{
	size_t len = strlen(cmd), i;

	if (len && cmd[len - 1] == '\r')
		cmd[--len] = '\0';
	/* an argument keeps its trailing spaces */
	if (control_run_arg(vm, cmd, out))
		return;
	while (len && cmd[len - 1] == ' ')
		cmd[--len] = '\0';
	for (i = 0; i < ARRAY_SIZE(control_cmds); i++)
		if (!strcmp(cmd, control_cmds[i].name)) {
			control_cmds[i].fn(vm, out);
			return;
		}
	if (control_run_arg(vm, cmd, out))
		return;
	for (i = 0; i < len; i++)
		if (cmd[i] < 0x20 || cmd[i] > 0x7e)
			cmd[i] = '?';
	if (len)
		fprintf(out, "error: unknown command '%s' (commands:", cmd);
	else
		fputs("error: no command (commands:", out);
	for (i = 0; i < ARRAY_SIZE(control_cmds); i++)
		fprintf(out, " %s", control_cmds[i].name);
	for (i = 0; i < ARRAY_SIZE(control_arg_cmds); i++)
		fprintf(out, " %s", control_arg_cmds[i].name);
	fputs(")\n", out);
}

/* One line from the client, without its newline; NULL and why if not. */
static char *control_read_line(int fd, char *buf, size_t size,
			       const char **why)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = recv(fd, buf + len, size - 1 - len, 0);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = "no command within the time allowed";
			return NULL;
		}
		buf[len + n] = '\0';
		nl = strchr(buf + len, '\n');
		if (nl) {
			*nl = '\0';
			return buf;
		}
		if (n == 0)
			return buf;
		len += n;
	}
	*why = "command too long";
	return NULL;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

static void set_timeouts(int fd, unsigned int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void control_serve(struct vm *vm, int fd)
{
	char line[CONTROL_LINE_MAX + 2], *cmd, *answer = NULL;
	const char *why = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&answer, &len);

	if (!out)
		return;
	set_timeouts(fd, CONTROL_IO_TIMEOUT);
	cmd = control_read_line(fd, line, sizeof(line), &why);
	if (cmd)
		control_run(vm, cmd, out);
	else
		fprintf(out, "error: %s\n", why);
	if (fclose(out) == 0)
		send_all(fd, answer, len);
	free(answer);
}

/* Ends the VM once a request's --shutdown-timeout has run out. */
static void control_check_deadline(struct vm *vm)
{
	struct control *ctl = vm->control;
	unsigned int timeout = vm->cfg->shutdown_timeout;

	if (!ctl->request || !timeout || ctl->forced ||
	    hv_ns_since(&ctl->deadline) < 0)
		return;
	ctl->forced = true;
	hv_err("the guest did not %s within %u s of the request: ending it (exit status %d)",
	       ctl->request, timeout, HV_EXIT_FORCED);
	vm__finish(vm, HV_EXIT_FORCED);
}

static int control_poll_ms(struct vm *vm)
{
	struct control *ctl = vm->control;
	double left;

	if (!ctl->request || !vm->cfg->shutdown_timeout || ctl->forced)
		return -1;
	left = -hv_ns_since(&ctl->deadline) / 1e9;
	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

static void *control_thread(void *arg)
{
	struct vm *vm = arg;
	struct control *ctl = vm->control;

	for (;;) {
		struct pollfd p = { .fd = ctl->fd, .events = POLLIN };
		int n = poll(&p, 1, control_poll_ms(vm));

		control_check_deadline(vm);
		if (n > 0) {
			int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				control_serve(vm, fd);
				close(fd);
			}
		}
	}
	return NULL;
}

static int socket_address(const char *path, struct sockaddr_un *addr)
{
	if (strlen(path) >= sizeof(addr->sun_path)) {
		hv_err("control socket '%s': the path is longer than the %zu bytes a unix socket allows",
		       path, sizeof(addr->sun_path) - 1);
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	strcpy(addr->sun_path, path);
	return 0;
}

/* Removes a socket left behind by a pvkit-hv that has gone; else refuses. */
static int remove_stale_socket(const struct sockaddr_un *addr)
{
	const char *path = addr->sun_path;
	struct stat st;
	int fd, err;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		hv_err("--control '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		hv_err("--control '%s' exists and is not a socket: not replacing it",
		       path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	err = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) ?
	      errno : 0;
	close(fd);
	if (!err) {
		hv_err("--control '%s' is in use by a running pvkit-hv", path);
		return -1;
	}
	if (err != ECONNREFUSED) {
		hv_err("--control '%s': %s", path, strerror(err));
		return -1;
	}
	if (unlink(path) < 0) {
		hv_err("--control '%s': removing the stale socket: %s", path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int control_listen(const char *path)
{
	struct sockaddr_un addr;
	int fd;

	if (socket_address(path, &addr) || remove_stale_socket(&addr))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		hv_err("control socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
		hv_err("--control '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int control__start(struct vm *vm)
{
	struct control *ctl;
	int err;

	if (!vm->cfg->control_path)
		return 0;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		hv_err("out of memory for the control socket");
		return -1;
	}
	ctl->fd = control_listen(vm->cfg->control_path);
	if (ctl->fd < 0) {
		free(ctl);
		return -1;
	}
	strcpy(ctl->path, vm->cfg->control_path);
	clock_gettime(CLOCK_MONOTONIC, &ctl->started);
	vm->control = ctl;
	err = pthread_create(&ctl->thread, NULL, control_thread, vm);
	if (err) {
		hv_err("starting the control thread: %s", strerror(err));
		control__stop(vm);
		return -1;
	}
	return 0;
}

/* At exit: the socket goes away with the VM. */
void control__stop(struct vm *vm)
{
	if (vm->control)
		unlink(vm->control->path);
}

/* Reads the whole answer into a NUL-terminated buffer; NULL on error. */
static char *read_answer(int fd)
{
	char buf[4096], *answer = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&answer, &len);
	ssize_t n;

	if (!out)
		return NULL;
	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		fwrite(buf, 1, n, out);
	}
	if (fclose(out) || n < 0) {
		free(answer);
		return NULL;
	}
	return answer;
}

/* The command and its argument words, joined by spaces; -1 if too long. */
static int join_command(int argc, char **argv, char *buf, size_t size)
{
	size_t len = 0, n;
	int i;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (len + !!i + n >= size)
			return -1;
		if (i)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	buf[len] = '\0';
	return 0;
}

int control__client(int argc, char **argv)
{
	char cmd[CONTROL_LINE_MAX + 1], *answer;
	struct sockaddr_un addr;
	const char *path;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: pvkit-hv ctl SOCKET COMMAND [TEXT]\n"
			"commands: info, stats, shutdown, reboot, console-send TEXT, serial-send TEXT,\n"
			"pause, resume, balloon SIZE, queue-max DEVICE N\n");
		return HV_EXIT_USAGE;
	}
	path = argv[0];
	if (join_command(argc - 1, argv + 1, cmd, sizeof(cmd))) {
		hv_err("the command is longer than %d bytes", CONTROL_LINE_MAX);
		return HV_EXIT_USAGE;
	}
	if (!*cmd || strchr(cmd, '\n')) {
		hv_err("'%s' is not a command (one line; try info)", cmd);
		return HV_EXIT_USAGE;
	}
	if (socket_address(path, &addr))
		return HV_EXIT_ERROR;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		hv_err("cannot connect to '%s': %s (is pvkit-hv running with --control %s?)",
		       path, strerror(errno), path);
		if (fd >= 0)
			close(fd);
		return HV_EXIT_ERROR;
	}
	set_timeouts(fd, CONTROL_ANSWER_TIMEOUT);
	send_all(fd, cmd, strlen(cmd));
	send_all(fd, "\n", 1);
	shutdown(fd, SHUT_WR);
	answer = read_answer(fd);
	close(fd);
	if (!answer || !*answer) {
		hv_err("no answer from '%s'", path);
		free(answer);
		return HV_EXIT_ERROR;
	}
	if (!strncmp(answer, "error:", 6)) {
		fprintf(stderr, "pvkit-hv: %s", answer);
		free(answer);
		return HV_EXIT_ERROR;
	}
	fputs(answer, stdout);
	free(answer);
	return 0;
}
