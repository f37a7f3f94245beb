/*
 * test_clients.c - step 09: real clients against the MUD. Debian's telnet,
 * driven by an expect script, and tintin++ in script mode, each log in,
 * talk and quit, against a server in this process.
 *
 * The clients are other programs: the test starts one, reads what it
 * prints through a pipe (with the socket layer, so the server's tasklets
 * run meanwhile), and checks how it ended. A test whose client is not
 * installed is skipped, saying which package brings it. Time here is the
 * real clock, since the clients live in it; every wait is bounded by
 * the client scripts' own timeouts, and the watchdog.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mudtest.h"
#include "sock.h"

extern char **environ;

static struct mt_server srv;

/* The first of the paths that is an executable, or NULL. */
static const char *find(const char *const *paths)
{
    for (; *paths; paths++)
        if (access(*paths, X_OK) == 0)
            return *paths;
    return NULL;
}

/* A file holding text, for a client to read its script from. */
static void write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    check(fd >= 0, S_SERVER, "mkstemp: %s", strerror(errno));
    size_t n = strlen(text);
    check(write(fd, text, n) == (ssize_t)n, S_SERVER, "writing %s", path);
    close(fd);
}

struct client_run {
    const char *const *argv;
    char out[65536];  /* what the client printed, NUL-terminated */
    size_t len;
    int status;       /* from waitpid */
};

/* From the script: runs the client, reads its output to the end through
 * the socket layer (so the server runs meanwhile), and reaps it. */
static void run_client(struct client_run *r)
{
    int p[2];
    check(pipe2(p, O_CLOEXEC) == 0, S_SERVER, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, r->argv[0], &fa, NULL, (char **)r->argv,
                         environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    check(rc == 0, S_SERVER, "starting %s: %s", r->argv[0], strerror(rc));
    mt_step("reading what %s prints", r->argv[0]);
    ssize_t n;
    while ((n = sock_read(p[0], r->out + r->len,
                          sizeof r->out - 1 - r->len)) > 0)
        r->len += (size_t)n;
    r->out[r->len] = '\0';
    sock_close(p[0]);
    mt_step("waiting for %s to exit", r->argv[0]);
    check(waitpid(pid, &r->status, 0) == pid, S_SERVER, "waitpid: %s",
          strerror(errno));
}

/* ---- telnet, driven by expect ---- */

static const char expect_script[] =
    "set timeout 5\n"
    "log_user 1\n"
    "spawn telnet 127.0.0.1 %d\n"
    "expect timeout {exit 2} \"What is your name? \"\n"
    "send \"Tess\\r\"\n"
    "expect timeout {exit 3} \"Choose a password: \"\n"
    "send \"tesspass\\r\"\n"
    /* Echo is off: the password must not come back. */
    "expect timeout {exit 4} \"tesspass\" {exit 5} \"Type it again: \"\n"
    "send \"tesspass\\r\"\n"
    "expect timeout {exit 6} \"tesspass\" {exit 7} \"> \"\n"
    "send \"say hello from telnet\\r\"\n"
    "expect timeout {exit 8} \"You say, 'hello from telnet'\"\n"
    "send \"quit\\r\"\n"
    "expect timeout {exit 9} \"Goodbye, Tess.\"\n"
    "expect timeout {exit 10} eof\n"
    "puts \"\\nEXPECT PASSED\"\n";

static char expect_path[] = "/tmp/mudtest-expect-XXXXXX";

static void telnet_script(void *arg)
{
    struct mt_server *s = arg;
    static struct client_run r;
    const char *const argv[] = {find((const char *const[]){
                                    "/usr/bin/expect", NULL}),
                                expect_path, NULL};
    r.argv = argv;
    run_client(&r);
    unlink(expect_path);
    check(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 &&
              strstr(r.out, "EXPECT PASSED"),
          S_SERVER, "telnet under expect did not get through (exit status "
          "%d; 2-10 say at which step, 5 and 7 that the password was "
          "echoed); it printed:\n%s", WEXITSTATUS(r.status),
          mt_show(r.out, r.len));
    mt_stop(s);
}

static void test_telnet_client(void **state)
{
    (void)state;
    if (!find((const char *const[]){"/usr/bin/expect", NULL}) ||
        !find((const char *const[]){"/usr/bin/telnet", NULL}))
        harness_skip("needs expect and telnet (Debian packages expect, "
                     "telnet)");
    mt_watch(S_SERVER);
    struct mud_config cfg = mt_config();
    mt_start(&srv, &cfg);
    char script[sizeof expect_script + 16];
    snprintf(script, sizeof script, expect_script, ntohs(srv.addr.sin_port));
    write_file(expect_path, script);
    mt_go(telnet_script, &srv);
    mt_run();
    mt_finish(&srv);
}

/* ---- tintin++ in script mode ---- */

static const char tintin_script[] =
    "#config {verbose} {off};\n"
    "#action {What is your name?} {#send Tina};\n"
    "#action {Choose a password:} {#send tinapass};\n"
    "#action {Type it again:} {#send tinapass};\n"
    "#action {A grey cat is here.} {#send {say hello from tintin}};\n"
    "#action {You say, 'hello from tintin'} {#send quit};\n"
    "#action {Goodbye, Tina.} {#showme {TINTIN PASSED}};\n"
    "#event {SESSION DISCONNECTED} {#end};\n"
    "#delay {6} {#showme {TINTIN GAVE UP}; #end};\n"
    "#session mud 127.0.0.1 %d;\n";

static char tintin_path[] = "/tmp/mudtest-tintin-XXXXXX";
static const char *const tintin_paths[] = {"/usr/games/tt++", "/usr/bin/tt++",
                                           NULL};

static void tintin_script_main(void *arg)
{
    struct mt_server *s = arg;
    static struct client_run r;
    const char *const argv[] = {find(tintin_paths), "-G", "-H", tintin_path,
                                NULL};
    r.argv = argv;
    run_client(&r);
    unlink(tintin_path);
    check(strstr(r.out, "TINTIN PASSED") != NULL, S_PROMPTS,
          "tintin++ did not get through; it printed:\n%s",
          mt_show(r.out, r.len));
    check(strstr(r.out, "tinapass") == NULL, S_PASSWORDS,
          "tintin++ showed the password: echo was not turned off");
    mt_stop(s);
}

static void test_tintin_client(void **state)
{
    (void)state;
    if (!find(tintin_paths))
        harness_skip("needs tintin++ (Debian package tintin++)");
    mt_watch(S_SERVER);
    struct mud_config cfg = mt_config();
    mt_start(&srv, &cfg);
    char script[sizeof tintin_script + 16];
    snprintf(script, sizeof script, tintin_script, ntohs(srv.addr.sin_port));
    write_file(tintin_path, script);
    mt_go(tintin_script_main, &srv);
    mt_run();
    mt_finish(&srv);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_telnet_client),
              cmocka_unit_test(test_tintin_client))
