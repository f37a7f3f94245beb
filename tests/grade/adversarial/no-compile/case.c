/* A syntax error in step 01. */
int context_broken(void) { return 1 }
