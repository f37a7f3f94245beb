/*
 * fence.h - Landlock: confines the file system a sandboxed process sees.
 *
 * A fence is a list of paths, each with what may be done beneath it:
 * read, read and execute, or everything (the scratch folder). Whatever is
 * not beneath a path of the list can be neither read nor written, even by
 * root, and the fence holds for the process and all it starts.
 *
 * Landlock is optional in the kernel: fence_abi() says which ABI version
 * runs (0 where the kernel has none, or has it disabled), detected at run
 * time with landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION),
 * and fence_restrict() applies what that version can express.
 */
#ifndef GRADE_FENCE_H
#define GRADE_FENCE_H

enum fence_access {
    FENCE_READ,  /* read files and list folders */
    FENCE_EXEC,  /* the same, and execute */
    FENCE_WRITE, /* anything short of making devices: the scratch folder */
    FENCE_DEVNULL, /* read and write one file: /dev/null */
};

struct fence_rule {
    const char *path;
    enum fence_access access;
};

/* The Landlock ABI version of the running kernel, 0 without Landlock. */
int fence_abi(void);

/* Restricts the calling process (and its future children) to the rules.
 * Paths that do not exist are skipped. The caller must have set
 * PR_SET_NO_NEW_PRIVS. Returns the ABI applied, 0 if the kernel has no
 * Landlock (nothing applied), or -1 with errno on failure. */
int fence_restrict(const struct fence_rule *rules, int nrules);

/* What the fence does on this kernel, in words, for the report. */
const char *fence_describe(int abi);

#endif
