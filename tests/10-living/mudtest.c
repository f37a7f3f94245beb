/*
 * mudtest.c - step 09's test server, clients, clock and watchdog
 * (../09-mud/mudtest.h), built once more for the tests of step 10. The
 * code lives in tests/09-mud/ alone; this file only brings it in.
 */
#include "../09-mud/mudtest.c"
