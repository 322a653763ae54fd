// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's control socket (control.c) on a VM double,
 * built with ASan and UBSan: the answers to info, stats and bad input,
 * the refusals of a path that is not a free socket, a shutdown that the
 * guest cannot take, one that it can (an edge on the events line) and
 * the forced end after --shutdown-timeout, and the client's exit codes.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../hypercall.h"

#define RAM	(1 << 20)

FIXTURE(ctl) {
	struct vm *vm;
	struct vm_config cfg;
	char dir[64];
	char path[128];
	char answer[4096];
};

FIXTURE_SETUP(ctl)
{
	strcpy(self->dir, "/tmp/pvkit-control-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/sock", self->dir);
	self->cfg.kernel = "vm\"linuz";
	self->cfg.cmdline = "console=ttyS0";
	self->cfg.control_path = self->path;
	self->cfg.shutdown_timeout = 1;
	self->vm = double_vm_create(RAM);
	ASSERT_NE(NULL, self->vm);
	self->vm->cfg = &self->cfg;
	double_reset(self->vm);
	ASSERT_EQ(0, control__start(self->vm));
}

FIXTURE_TEARDOWN(ctl)
{
	control__stop(self->vm);
	unlink(self->path);
	rmdir(self->dir);
}

/* Sends @request as it is and reads the whole answer into @answer. */
static int ask(const char *path, const char *request, char *answer,
	       size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	if (write(fd, request, strlen(request)) < 0)
		return -1;
	shutdown(fd, SHUT_WR);
	while (len < size - 1 &&
	       (n = read(fd, answer + len, size - 1 - len)) > 0)
		len += n;
	answer[len] = '\0';
	close(fd);
	return 0;
}

static int client_argv(int argc, char **argv)
{
	int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
	int ret;

	/* Keep a JSON answer out of the TAP stream. */
	dup2(null, STDOUT_FILENO);
	ret = control__client(argc, argv);
	fflush(stdout);
	dup2(out, STDOUT_FILENO);
	close(out);
	close(null);
	return ret;
}

static int client(const char *path, const char *cmd)
{
	char *argv[3] = { (char *)path, (char *)cmd, NULL };

	return client_argv(cmd ? 2 : 1, argv);
}

TEST_F(ctl, info_is_json_with_escaped_strings)
{
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ('{', self->answer[0]) TH_LOG("%s", self->answer);
	EXPECT_NE(NULL, strstr(self->answer, "\"vcpus\": 1,"));
	EXPECT_NE(NULL, strstr(self->answer, "\"kernel\": \"vm\\\"linuz\""));
	EXPECT_NE(NULL, strstr(self->answer, "\"initrd\": null"));
	EXPECT_NE(NULL, strstr(self->answer, "\"enabled\": false"));
	EXPECT_NE(NULL, strstr(self->answer, "\"state\": \"running\""));
}

TEST_F(ctl, info_shows_the_guest_and_its_heartbeat)
{
	struct pvkit_guest_info *g = (void *)(self->vm->ram + 4096);
	uint64_t arg[PVKIT_HC_NARGS] = { 4096 };
	struct vcpu *vcpu = &self->vm->vcpus[0];

	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"guest\": {\"heartbeat\": \"never\"}"));

	memset(g, 0, sizeof(*g));
	g->uptime_s = 42;
	g->addr_count = 1;
	memcpy(g->ipv4[0], "\x0a\x00\x02\x0f", 4);
	strcpy(g->kernel_release, "6.1.0-56-amd64");
	memset(g->hostname, 'h', sizeof(g->hostname));	/* no NUL */
	g->hostname[3] = '"';
	g->hostname[4] = 0x01;
	EXPECT_EQ(0, hypercall__dispatch(vcpu, 0, PVKIT_HC_GUEST_INFO, arg));
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"heartbeat\": \"ok\""))
		TH_LOG("%s", self->answer);
	EXPECT_NE(NULL, strstr(self->answer, "\"kernel_release\": \"6.1.0-56-amd64\""));
	EXPECT_NE(NULL, strstr(self->answer, "\"hostname\": \"hhh\\\"?hhh"));
	EXPECT_NE(NULL, strstr(self->answer, "\"uptime_s\": 42,"));
	EXPECT_NE(NULL, strstr(self->answer, "\"ipv4\": [\"10.0.2.15\"]"));

	/* a report that stopped coming */
	self->vm->guest.at.tv_sec -= HV_GUEST_STALE_S + 1;
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"heartbeat\": \"stopped\""));

	/* hostile reports are refused and change nothing */
	g->addr_count = PVKIT_GUEST_INFO_ADDRS + 1;
	EXPECT_EQ(PVKIT_EINVAL, hypercall__dispatch(vcpu, 0,
						    PVKIT_HC_GUEST_INFO, arg));
	arg[0] = RAM - 8;
	EXPECT_EQ(PVKIT_EFAULT, hypercall__dispatch(vcpu, 0,
						    PVKIT_HC_GUEST_INFO, arg));
	arg[0] = 4100;
	EXPECT_EQ(PVKIT_EINVAL, hypercall__dispatch(vcpu, 0,
						    PVKIT_HC_GUEST_INFO, arg));
	EXPECT_EQ(1U, self->vm->guest.count);
}

TEST_F(ctl, stats_while_running_have_no_exit_code)
{
	ASSERT_EQ(0, ask(self->path, "stats\r\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"exit_code\": null,"))
		TH_LOG("%s", self->answer);
	EXPECT_NE(NULL, strstr(self->answer, "\"event_fetch\": 0"));
}

TEST_F(ctl, bad_commands_get_one_error_line)
{
	char longer[2000];

	ASSERT_EQ(0, ask(self->path, "frobnicate\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("error: unknown command 'frobnicate' (commands: info stats shutdown reboot pause resume console-send serial-send balloon queue-max)\n",
		     self->answer);
	ASSERT_EQ(0, ask(self->path, "\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ(0, strncmp(self->answer, "error: no command", 17));
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ASSERT_EQ(0, ask(self->path, longer, self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("error: command too long\n", self->answer);
}

/* Sends console-send @text; the answer in @answer. */
static int send_text(const char *path, const char *text, char *answer,
		     size_t size)
{
	char req[CONSOLE_SEND_MAX + 64];

	snprintf(req, sizeof(req), "console-send %s\n", text);
	return ask(path, req, answer, size);
}

TEST_F(ctl, console_send_queues_whole_lines_or_nothing)
{
	char text[CONSOLE_SEND_MAX + 2], got[CONSOLE_IN_MAX];
	size_t queued = 0;
	int lines = 0;

	/* queued before the guest takes input: kept, and said so */
	ASSERT_EQ(0, send_text(self->path, "ls -l  ", self->answer,
			       sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "ok: 8 bytes queued"))
		TH_LOG("%s", self->answer);
	EXPECT_NE(NULL, strstr(self->answer, "does not take console input"));
	EXPECT_EQ(0, double_record.irq_edges);
	ASSERT_EQ(8U, console_in__read(self->vm, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "ls -l  ", 7));
	EXPECT_EQ('\n', got[7]);

	/* once the guest takes it, each line raises the line */
	events__enable(self->vm, PVKIT_EV_CONSOLE_IN);
	ASSERT_EQ(0, ask(self->path, "console-send\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("ok: 1 bytes queued for the guest's console\n",
		     self->answer);
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ(PVKIT_EV_CONSOLE_IN, events__fetch(self->vm));
	queued = 1;

	/* fill it: the line that does not fit is refused whole */
	memset(text, 'a', CONSOLE_SEND_MAX - 1);
	text[CONSOLE_SEND_MAX - 1] = '\0';
	for (;;) {
		ASSERT_EQ(0, send_text(self->path, text, self->answer,
				       sizeof(self->answer)));
		if (strncmp(self->answer, "ok:", 3))
			break;
		queued += CONSOLE_SEND_MAX;
		lines++;
	}
	EXPECT_EQ(CONSOLE_IN_MAX / CONSOLE_SEND_MAX - 1, lines);
	EXPECT_NE(NULL, strstr(self->answer, "error: the guest's console input has room for 1023 bytes, the line needs 1024: nothing was sent"))
		TH_LOG("%s", self->answer);
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"console_in\": {\"pending\": 3073, \"room\": 1023, \"accepted\": 3081, \"delivered\": 8, \"refused\": 1024}"))
		TH_LOG("%s", self->answer);

	/* too long for one command */
	memset(text, 'b', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	ASSERT_EQ(0, send_text(self->path, text, self->answer,
			       sizeof(self->answer)));
	EXPECT_EQ(0, strncmp(self->answer, "error: console-send takes at most 1024 bytes", 44))
		TH_LOG("%s", self->answer);

	/* nothing accepted was lost, in order */
	ASSERT_EQ(queued, console_in__read(self->vm, got, sizeof(got)));
	EXPECT_EQ('\n', got[0]);
	EXPECT_EQ('a', got[1]);
	EXPECT_EQ('\n', got[queued - 1]);
	EXPECT_EQ(0U, console_in__read(self->vm, got, sizeof(got)));
}

TEST_F(ctl, serial_send_goes_to_the_uart_only)
{
	char got[16];

	ASSERT_EQ(0, ask(self->path, "serial-send root\n", self->answer,
			 sizeof(self->answer)));
	/* the test VM has no UART: nothing in the guest takes it yet */
	EXPECT_STREQ("ok: 5 bytes queued for the guest's serial port; its receive interrupt is off (nothing in the guest has /dev/ttyS0 open)\n",
		     self->answer);
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"serial_in\": {\"pending\": 5, \"room\": 4091, \"accepted\": 5, \"delivered\": 0, \"refused\": 0}"))
		TH_LOG("%s", self->answer);
	EXPECT_EQ(0U, console_in__read(self->vm, got, sizeof(got)));
	ASSERT_EQ(5U, input__read(self->vm, &self->vm->serial_in, got,
				  sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "root\n", 5));
}

TEST_F(ctl, pause_freezes_the_clock_and_resume_asks_for_a_step)
{
	double_record.kvm_clock = 123456789000ULL;
	ASSERT_EQ(0, ask(self->path, "resume\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("error: the guest is not paused\n", self->answer);

	ASSERT_EQ(0, ask(self->path, "pause\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("ok: paused 0 vCPUs; the guest's clock stands at 123.457 s\n",
		     self->answer);
	EXPECT_EQ(1, double_record.kicks);
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"state\": \"paused\""));
	ASSERT_EQ(0, ask(self->path, "pause\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("error: the guest is paused already\n", self->answer);

	/* the guest did not enable the event: resumed, and told so */
	double_record.kvm_clock = 999;
	ASSERT_EQ(0, ask(self->path, "resume\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "its wall clock lags by the pause"))
		TH_LOG("%s", self->answer);
	EXPECT_EQ(1, double_record.kvm_clock_sets);
	EXPECT_EQ(123456789000ULL, double_record.kvm_clock_set);
	EXPECT_EQ(0, double_record.irq_edges);
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"state\": \"running\""));

	/* it did: the event is posted */
	events__enable(self->vm, PVKIT_EV_CLOCK);
	ASSERT_EQ(0, ask(self->path, "pause\n", self->answer,
			 sizeof(self->answer)));
	ASSERT_EQ(0, ask(self->path, "resume\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ(0, strncmp(self->answer, "ok: resumed after 0.0 s; asked the guest to correct its wall clock", 66))
		TH_LOG("%s", self->answer);
	EXPECT_EQ(999U, double_record.kvm_clock_set);
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ(PVKIT_EV_CLOCK, events__fetch(self->vm));
}

TEST_F(ctl, pause_without_the_clock_is_refused_and_runs_on)
{
	double_record.kvm_clock_fails = true;
	ASSERT_EQ(0, ask(self->path, "pause\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("error: cannot read the guest's clock: the guest runs on\n",
		     self->answer);
	EXPECT_FALSE(pause__paused(self->vm));
}

/* Stands in for a vCPU thread: runs (counts) unless parked. */
static void *fake_vcpu(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	bool done = false;

	while (!done) {
		pause__park(vcpu);
		pthread_mutex_lock(&vm->lock);
		vm->stats.exits_other++;
		done = vm->finished;
		pthread_mutex_unlock(&vm->lock);
		usleep(1000);
	}
	return NULL;
}

static uint64_t fake_runs(struct vm *vm)
{
	uint64_t n;

	pthread_mutex_lock(&vm->lock);
	n = vm->stats.exits_other;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

TEST_F(ctl, a_paused_vcpu_stays_stopped_until_resume)
{
	struct vm *vm = self->vm;
	uint64_t runs;

	vm->vcpus[0].vm = vm;
	ASSERT_EQ(0, pthread_create(&vm->vcpus[0].thread, NULL, fake_vcpu,
				    &vm->vcpus[0]));
	vm->nr_running = 1;
	usleep(20 * 1000);
	ASSERT_EQ(0, ask(self->path, "pause\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("ok: paused 1 vCPUs; the guest's clock stands at 0.000 s\n",
		     self->answer);
	runs = fake_runs(vm);
	usleep(200 * 1000);
	EXPECT_EQ(runs, fake_runs(vm));
	EXPECT_EQ(1U, vm->pause.parked);
	ASSERT_EQ(0, ask(self->path, "resume\n", self->answer,
			 sizeof(self->answer)));
	usleep(200 * 1000);
	EXPECT_LT(runs, fake_runs(vm));

	/* the end of the VM releases a parked thread */
	ASSERT_EQ(0, ask(self->path, "pause\n", self->answer,
			 sizeof(self->answer)));
	pthread_mutex_lock(&vm->lock);
	vm->finished = true;
	pthread_mutex_unlock(&vm->lock);
	pause__release(vm);
	EXPECT_EQ(0, pthread_join(vm->vcpus[0].thread, NULL));
	vm->nr_running = 0;
}

TEST_F(ctl, shutdown_refused_while_the_guest_has_no_events)
{
	ASSERT_EQ(0, ask(self->path, "shutdown\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ(0, strncmp(self->answer,
			     "error: the guest has not enabled pvkit events",
			     45)) TH_LOG("%s", self->answer);
	EXPECT_EQ(0, double_record.irq_edges);
	sleep(2);
	EXPECT_EQ(0, double_record.finish_calls);
}

TEST_F(ctl, shutdown_raises_the_line_then_forces_the_end)
{
	int i;

	events__enable(self->vm, PVKIT_EV_SHUTDOWN);
	ASSERT_EQ(0, ask(self->path, "reboot\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ(0, strncmp(self->answer, "error: the guest does not handle",
			     32)) TH_LOG("%s", self->answer);
	ASSERT_EQ(0, ask(self->path, "shutdown\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ(0, strncmp(self->answer, "ok: asked the guest to power off",
			     32)) TH_LOG("%s", self->answer);
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ((unsigned int)HV_EVENTS_IRQ, double_record.irq_last);
	EXPECT_EQ(PVKIT_EV_SHUTDOWN, events__fetch(self->vm));
	ASSERT_EQ(0, ask(self->path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "\"state\": \"stopping\""));
	EXPECT_EQ(0, double_record.finish_calls);
	for (i = 0; i < 30 && !double_record.finish_calls; i++)
		usleep(100 * 1000);
	EXPECT_EQ(1, double_record.finish_calls);
	EXPECT_EQ(HV_EXIT_FORCED, (int)double_record.finish_code);
}

TEST_F(ctl, paths_that_are_not_a_free_socket_are_refused)
{
	struct vm_config cfg = self->cfg;
	struct vm *vm = double_vm_create(RAM);
	char path[200];
	int fd;

	ASSERT_NE(NULL, vm);
	vm->cfg = &cfg;
	EXPECT_EQ(-1, control__start(vm));		/* in use */

	snprintf(path, sizeof(path), "%s/file", self->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ASSERT_GE(fd, 0);
	close(fd);
	cfg.control_path = path;
	EXPECT_EQ(-1, control__start(vm));		/* not a socket */
	EXPECT_EQ(0, access(path, F_OK));
	unlink(path);

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	EXPECT_EQ(-1, control__start(vm));		/* too long */
	double_vm_destroy(vm);
}

TEST_F(ctl, a_stale_socket_is_replaced)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct vm_config cfg = self->cfg;
	struct vm *vm = double_vm_create(RAM);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ASSERT_NE(NULL, vm);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/stale", self->dir);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&addr, sizeof(addr)));
	close(fd);
	cfg.control_path = addr.sun_path;
	vm->cfg = &cfg;
	EXPECT_EQ(0, control__start(vm));
	EXPECT_EQ(0, ask(addr.sun_path, "info\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_EQ('{', self->answer[0]);
	control__stop(vm);
	EXPECT_NE(0, access(addr.sun_path, F_OK));
}

TEST_F(ctl, client_exit_codes)
{
	char absent[160];

	snprintf(absent, sizeof(absent), "%s/absent", self->dir);
	EXPECT_EQ(0, client(self->path, "info"));
	EXPECT_EQ(HV_EXIT_ERROR, client(self->path, "frobnicate"));
	EXPECT_EQ(HV_EXIT_ERROR, client(absent, "info"));
	EXPECT_EQ(HV_EXIT_ERROR, client(self->path, "shutdown"));
	EXPECT_EQ(HV_EXIT_USAGE, client(self->path, NULL));
	EXPECT_EQ(HV_EXIT_USAGE, client(self->path, "two\nlines"));
}

TEST_F(ctl, client_sends_the_words_after_the_command)
{
	char w0[] = "console-send", w1[] = "echo", w2[] = "hi", got[32];
	char *argv[4];

	argv[0] = self->path;
	argv[1] = w0;
	argv[2] = w1;
	argv[3] = w2;

	EXPECT_EQ(0, client_argv(4, argv));
	ASSERT_EQ(8U, console_in__read(self->vm, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "echo hi\n", 8));
}

TEST_HARNESS_MAIN
