/* The bench's own storage layer for SD-card figures: loaded with LD_PRELOAD into `lantern serve`, it counts
 * every fsync/fdatasync (in a shared counter file, so all worker processes add to one number) and can make
 * each one take longer (an SD card's flush). Built by bench/fsync.py with the system C compiler.
 *   SLOWFSYNC_COUNTER=<file of 8 zero bytes>  SLOWFSYNC_DELAY_US=3000 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long *counter;
static long delay_us = -1;

static void setup(void) {
    const char *path = getenv("SLOWFSYNC_COUNTER");
    const char *delay = getenv("SLOWFSYNC_DELAY_US");
    delay_us = delay ? atol(delay) : 0;
    if (path) {
        int fd = open(path, O_RDWR);
        if (fd >= 0) {
            void *map = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            counter = map == MAP_FAILED ? NULL : (long *)map;
            close(fd);
        }
    }
}

static void flushed(void) {
    if (delay_us < 0) setup();
    if (counter) __atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
    if (delay_us > 0) {
        struct timespec pause = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        nanosleep(&pause, NULL);
    }
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    flushed();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    flushed();
    return real(fd);
}
