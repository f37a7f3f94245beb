/*
 * test_crash.c - step 10: kill -9 at any moment never leaves a torn,
 * empty or missing player file.
 *
 * A child process, the saver, saves one character over and over, each
 * save with a counter one higher (in the hash field) and a different
 * number of items, so that the file's size changes each time; after each
 * save returns it writes one byte to a pipe. The test reads a few of
 * those acknowledgements, has the saver killed by SIGKILL at once,
 * wherever it is (inside write, between fsync and rename, ...), and then
 * looks at the folder as a restarted server would: the file must be
 * there, whole, and hold the last acknowledged save or the one after it.
 * Two hundred times.
 *
 * The SIGKILL comes from the kernel, not from kill(2): the saver's parent
 * is a middle process that only waits, and the saver has asked
 * (PR_SET_PDEATHSIG) to be killed when its parent dies. The test ends the
 * middle process through a pipe, and the kernel kills the saver. So the
 * test needs no kill(2) at all, and if it fails half-way, the middle
 * process sees its pipe close, and no saver outlives the test.
 *
 * Nothing here measures time: where each kill lands varies from run to
 * run, but what must hold after it does not.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "livingtest.h"

enum { ROUNDS = 200, ROUNDS_VALGRIND = 40 };

static const char *const rooms[] = {"square", "well", "", "market"};

/* The record of save number n of round `round`: its hash says both, and
 * grows and shrinks with n, as does the list of items. */
static void record_of(unsigned round, unsigned long n, struct player_record *r)
{
    memset(r, 0, sizeof *r);
    strcpy(r->name, "Alice");
    snprintf(r->hash, sizeof r->hash, "$test$%u$%lu$%0*d", round, n,
             (int)(n * 37 % 200), 0);
    strcpy(r->room, rooms[n % 4]);
    r->nitems = n % (PLAYER_ITEMS_MAX + 1);
    for (size_t i = 0; i < r->nitems; i++)
        strcpy(r->items[i], i % 2 ? "lamp" : "horseshoe");
}

/* The saver: saves until killed, acknowledging each save on ack. It dies
 * with its parent. */
static _Noreturn void saver(const char *dir, unsigned round, int ack,
                            pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(5); /* the parent is gone already: nobody would kill us */
    struct player_store *s = store_open(dir);
    if (s == NULL)
        _exit(2);
    struct player_record r;
    for (unsigned long n = 1; n < 1000000; n++) {
        record_of(round, n, &r);
        if (s->save(s, &r) < 0)
            _exit(3);
        char b = 1;
        if (write(ack, &b, 1) != 1)
            _exit(4);
    }
    _exit(0); /* never atexit: the folder is the parent's */
}

/* The middle process: starts the saver, then waits until the test
 * writes to (or closes) its end of `stop`, and exits, which kills the
 * saver. */
static _Noreturn void middle(const char *dir, unsigned round, int ack,
                             int stop)
{
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(stop);
        saver(dir, round, ack, me);
    }
    close(ack);
    char b;
    while (pid > 0 && read(stop, &b, 1) < 0 && errno == EINTR)
        continue;
    _exit(pid > 0 ? 0 : 6);
}

/* Reads until n bytes came or the pipe ended; how many came. */
static size_t read_acks(int fd, size_t n)
{
    char buf[256];
    size_t got = 0;
    while (n == 0 || got < n) {
        size_t want = n == 0 || n - got > sizeof buf ? sizeof buf : n - got;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void test_kill_9_mid_save_many_times(void **state)
{
    (void)state;
    if (getenv("HARNESS_NO_FORK"))
        harness_skip("it forks a child, and fork hangs under qemu-user here");
    char dir[PATH_MAX], tmp[PATH_MAX + 64];
    lt_tmpdir(dir);
    snprintf(tmp, sizeof tmp, "%s/.alice.player.tmp", dir);
    const char *path = lt_player_path(dir, "Alice");
    unsigned rounds = harness_under_valgrind() ? ROUNDS_VALGRIND : ROUNDS;

    for (unsigned round = 1; round <= rounds; round++) {
        int ack[2], stop[2];
        check(pipe(ack) == 0 && pipe(stop) == 0, S_CHECK, "pipe failed: %s",
              strerror(errno));
        fflush(NULL);
        pid_t pid = fork();
        check(pid >= 0, S_CHECK, "fork failed: %s", strerror(errno));
        if (pid == 0) {
            close(ack[0]);
            close(stop[1]);
            middle(dir, round, ack[1], stop[0]);
        }
        close(ack[1]);
        close(stop[0]);
        size_t want = 1 + round % 5;
        size_t acked = read_acks(ack[0], want);
        close(stop[1]); /* the middle process exits; the saver is killed */
        int status;
        waitpid(pid, &status, 0);
        check(acked == want, S_ATOMIC,
              "round %u: the saving child ended after %zu saves: expected "
              "it to save until killed. Does save work?", round, acked);
        /* The end of the stream comes once the saver is dead (its end of
         * the pipe closes with it); what came before it are the saves it
         * finished before the kill. */
        acked += read_acks(ack[0], 0);
        close(ack[0]);

        /* What a server restarted now would find. */
        struct player_store *s = store_open(dir);
        check(s != NULL, S_FILES, "round %u: store_open after the kill "
              "failed: %s", round, strerror(errno));
        check(!lt_exists(tmp), S_KILL, "round %u: store_open left %s, the "
              "temporary file of the killed save", round, tmp);
        struct player_record r, want_r;
        errno = 0;
        int rc = s->load(s, "Alice", &r);
        char text[PLAYERFILE_MAX + 1];
        ssize_t n = lt_read(path, text, sizeof text);
        check(rc == 0, S_KILL,
              "round %u: after a kill -9 (%zu saves had returned), Alice "
              "does not load (%s: %s). The file holds \"%s\": the replace "
              "is not atomic", round, acked, strerror(errno),
              store_last_error(s),
              n < 0 ? "(no file)" : mt_show(text, (size_t)n));
        store_close(s);
        unsigned got_round;
        unsigned long got;
        check(sscanf(r.hash, "$test$%u$%lu$", &got_round, &got) == 2 &&
                  got_round == round,
              S_KILL, "round %u: the file holds the hash \"%s\", not one of "
              "this round's saves", round, r.hash);
        check(got >= acked && got <= acked + 1, S_KILL,
              "round %u: %zu saves had returned when the child was killed, "
              "so the file must hold save %zu (or %zu, if the kill came "
              "after its rename); it holds save %lu", round, acked, acked,
              acked + 1, got);
        record_of(round, got, &want_r);
        check(r.nitems == want_r.nitems && strcmp(r.room, want_r.room) == 0,
              S_KILL, "round %u: save %lu came back with %zu items in room "
              "'%s', expected %zu in '%s'", round, got, r.nitems, r.room,
              want_r.nitems, want_r.room);
    }
}

HARNESS_TESTS("chapters/10-living.md",
              cmocka_unit_test(test_kill_9_mid_save_many_times))
