/*
 * bench_store.c - what keeping players on disk costs (step 10): one save
 * through the file store (temporary file, fsync, rename, fsync of the
 * folder), beside the same bytes written in place with no fsync at all,
 * the unsafe way it replaces.
 *
 * A save blocks the whole process, every tasklet with it (chapter 10,
 * "What fsync costs a green-thread server"), so its latency is a pause
 * every player feels. The rows also give the pause of one autosave tick
 * of a full server: 5,000 players saved every 5 minutes on a 1 s tick is
 * about 17 saves a tick.
 *
 * The folder is build/bench/store (on the disk the workbook is on; /tmp
 * may be a tmpfs, where fsync costs nothing), emptied afterwards. The
 * number of saves is fixed and bounded (STORE_SAVES).
 *
 * Rows: store_save_p50, store_save_p99 (us), store_inplace_p50 (us),
 * store_autosave_tick (ms: 17 saves at the p50).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "mudstat.h"
#include "playerfile.h"
#include "store.h"

enum { STORE_SAVES = 300, TICK_SAVES = 17 };

#define DIR_PATH "build/bench/store"

/* A record the size of a player with a few things in their pockets. */
static void record(struct player_record *r, int i)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "Benchmark");
    snprintf(r->hash, sizeof r->hash,
             "$y$j9T$abcdefghijklmnopqrstuv$%043d", i);
    snprintf(r->room, sizeof r->room, "square");
    r->nitems = 5;
    for (size_t k = 0; k < r->nitems; k++)
        snprintf(r->items[k], sizeof r->items[k], "item%zu", k);
}

/* The unsafe way: truncate and write the file in place, no fsync. */
static int save_in_place(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

int main(void)
{
    mkdir("build/bench", 0755);
    struct player_store *s = store_open(DIR_PATH);
    if (s == NULL) {
        fprintf(stderr, "bench_store: cannot open %s: %s\n", DIR_PATH,
                strerror(errno));
        return 1;
    }
    struct mudstat_samples safe = {0}, unsafe = {0};
    struct player_record r;
    char text[PLAYERFILE_MAX];
    for (int i = 0; i < STORE_SAVES; i++) {
        record(&r, i);
        int64_t t0 = bench_now();
        if (s->save(s, &r) < 0) {
            fprintf(stderr, "bench_store: save failed: %s\n", strerror(errno));
            store_close(s);
            return 1;
        }
        mudstat_add(&safe, (double)(bench_now() - t0) / 1e3);

        size_t len = playerfile_format(&r, text, sizeof text);
        t0 = bench_now();
        if (save_in_place(DIR_PATH "/inplace.txt", text, len) < 0) {
            fprintf(stderr, "bench_store: write failed: %s\n", strerror(errno));
            store_close(s);
            return 1;
        }
        mudstat_add(&unsafe, (double)(bench_now() - t0) / 1e3);
    }
    store_close(s);
    unlink(DIR_PATH "/inplace.txt");
    unlink(DIR_PATH "/benchmark.player");
    rmdir(DIR_PATH);

    mudstat_sort(&safe);
    mudstat_sort(&unsafe);
    double p50 = mudstat_percentile(&safe, 0.50);
    printf("store_save_p50,%.1f,us\n", p50);
    printf("store_save_p99,%.1f,us\n", mudstat_percentile(&safe, 0.99));
    printf("store_inplace_p50,%.1f,us\n", mudstat_percentile(&unsafe, 0.50));
    printf("store_autosave_tick,%.2f,ms\n", p50 * TICK_SAVES / 1e3);
    fprintf(stderr, "bench_store: %d saves in %s; the autosave row is %d "
            "saves at the median, the pause of one tick of a server with "
            "5,000 players (5 min autosave, 1 s tick)\n",
            STORE_SAVES, DIR_PATH, TICK_SAVES);
    mudstat_free(&safe);
    mudstat_free(&unsafe);
    return 0;
}
