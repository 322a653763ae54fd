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

static int client(const char *path, const char *cmd)
{
	int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
	char *argv[3];
	int ret;

	argv[0] = (char *)path;
	argv[1] = (char *)cmd;
	argv[2] = NULL;

	/* Keep a JSON answer out of the TAP stream. */
	dup2(null, STDOUT_FILENO);
	ret = control__client(cmd ? 2 : 1, argv);
	fflush(stdout);
	dup2(out, STDOUT_FILENO);
	close(out);
	close(null);
	return ret;
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
	char longer[200];

	ASSERT_EQ(0, ask(self->path, "frobnicate\n", self->answer,
			 sizeof(self->answer)));
	EXPECT_STREQ("error: unknown command 'frobnicate' (commands: info stats shutdown reboot balloon)\n",
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

TEST_HARNESS_MAIN
