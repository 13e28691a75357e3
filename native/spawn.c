/*
 * Kapsel spawn trampoline.
 *
 * A .NET process is multi-threaded: a child created by clone() must not run
 * managed code before execve (it can deadlock on the copied GC/runtime state).
 * So the C# side prepares a complete plan in native memory -- a list of raw
 * syscalls with their arguments -- and this file only clones and replays it.
 *
 * Policy-free by design: no decision is taken here. Every step is
 * "syscall(nr, a0..a5)" plus a few flags saying how to treat its result.
 * On failure the child reports {step index, errno} over a close-on-exec pipe;
 * EOF on that pipe means the final execve succeeded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>

/* Step flags; keep in sync with SpawnStepFlags.cs. */
#define KS_OPTIONAL        0x01u /* ignore failure of this step */
#define KS_RESULT_TO_FD    0x02u /* dup3(result, target_fd) then close(result) */
#define KS_FAIL_IF_ZERO    0x04u /* result 0 is a failure (EOF on a sync read) */
#define KS_REPEAT_ON_EINTR 0x08u /* retry while the call fails with EINTR */
#define KS_FAIL_ONLY_ON    0x10u /* only errno == target_fd is a failure; others are ignored */
#define KS_REPEAT_ON_EAGAIN 0x20u /* retry (bounded) while EAGAIN: an openat2 RESOLVE_IN_ROOT raced a mount */

/* Pseudo syscall number: run a program to completion (an OCI hook inside the
 * container's namespaces). args: path, argv, envp, stdin fd, stdout+stderr fd
 * (-1: inherit), timeout in ms (0: none). A non-zero exit is reported as
 * KS_RUN_STATUS | wait status, a timeout as ETIMEDOUT (the program is killed);
 * a failed execve is reported by the program's child itself, as {step, errno}. */
#define KS_RUN             (-1L)
#define KS_RUN_STATUS      0x10000

struct ks_step {
    int64_t nr;        /* syscall number */
    int64_t args[6];   /* immediates or pointers into the plan's native memory */
    uint32_t flags;
    int32_t target_fd; /* for KS_RESULT_TO_FD; the errno for KS_FAIL_ONLY_ON */
};

struct ks_plan {
    uint64_t clone_flags;   /* CLONE_NEW* and friends, passed to clone3 */
    int32_t error_fd;       /* child's write end of the CLOEXEC error pipe */
    int32_t cgroup_fd;      /* >= 0: CLONE_INTO_CGROUP target (cgroup v2) */
    int32_t step_count;
    int32_t reserved;
    struct ks_step *steps;
};

/* What the child writes to error_fd when a step fails. */
struct ks_failure {
    int32_t step;
    int32_t err;
};

static void ks_fail(const struct ks_plan *plan, int step, int err)
{
    struct ks_failure f = { step, err };
    ssize_t ignored = write(plan->error_fd, &f, sizeof f);
    (void)ignored;
    _exit(127);
}

static void ks_reset_signals(void)
{
    /* Handlers installed by the .NET runtime must not survive into the
     * container; SIG_DFL for everything, then unblock. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        sigaction(sig, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static long ks_run(const struct ks_plan *plan, int step, const struct ks_step *s)
{
    /* Plain clone, not clone3: container seccomp profiles answer clone3 with ENOSYS. */
    int pidfd = -1;
    long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int out = (int)s->args[4];
        if (dup2((int)s->args[3], 0) < 0 || (out >= 0 && (dup2(out, 1) < 0 || dup2(out, 2) < 0)))
            ks_fail(plan, step, errno);
        syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
        syscall(SYS_execve, s->args[0], s->args[1], s->args[2]);
        ks_fail(plan, step, errno);
    }
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int timeout = s->args[5] > 0 ? (int)s->args[5] : -1, r;
    while ((r = poll(&p, 1, timeout)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    while (syscall(SYS_waitid, 3 /* P_PIDFD */, pidfd, &si, WEXITED, NULL) < 0 && errno == EINTR)
        ;
    syscall(SYS_close, pidfd);
    if (r == 0)
        errno = ETIMEDOUT;
    else if (si.si_code != CLD_EXITED || si.si_status != 0)
        errno = KS_RUN_STATUS | (si.si_code == CLD_EXITED ? si.si_status << 8 : si.si_status);
    else
        return 0;
    return -1;
}

static void ks_child(const struct ks_plan *plan)
{
    ks_reset_signals();
    for (int i = 0; i < plan->step_count; i++) {
        const struct ks_step *s = &plan->steps[i];
        long r;
        int again = 0;
        do {
            r = s->nr == KS_RUN ? ks_run(plan, i, s)
                : syscall(s->nr, s->args[0], s->args[1], s->args[2],
                          s->args[3], s->args[4], s->args[5]);
        } while (r < 0 && ((errno == EINTR && (s->flags & KS_REPEAT_ON_EINTR))
                           || (errno == EAGAIN && (s->flags & KS_REPEAT_ON_EAGAIN) && ++again < 1000)));
        if (r < 0) {
            if ((s->flags & KS_OPTIONAL)
                || ((s->flags & KS_FAIL_ONLY_ON) && errno != s->target_fd))
                continue;
            ks_fail(plan, i, errno);
        }
        if (r == 0 && (s->flags & KS_FAIL_IF_ZERO))
            ks_fail(plan, i, EPIPE);
        if ((s->flags & KS_RESULT_TO_FD) && r != s->target_fd) {
            if (syscall(SYS_dup3, r, s->target_fd, 0) < 0)
                ks_fail(plan, i, errno);
            syscall(SYS_close, r);
        }
    }
    /* The plan must end in execve; falling off the end is a plan bug. */
    ks_fail(plan, plan->step_count, ENOEXEC);
}

/*
 * Clone a child that runs the plan. Returns the child's pid (> 0) and stores
 * its pidfd in *pidfd_out, or returns -errno.
 */
int kapsel_spawn(const struct ks_plan *plan, int *pidfd_out)
{
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    int pidfd = -1;
    ca.flags = plan->clone_flags | CLONE_PIDFD;
    ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
    ca.exit_signal = SIGCHLD;
    if (plan->cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t)plan->cgroup_fd;
    }

    /* Block every signal across clone so the child cannot run a .NET
     * handler before it has reset them (as .NET's own fork/exec does). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);

    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0)
        ks_child(plan); /* never returns */

    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0)
        return -saved;
    *pidfd_out = pidfd;
    return (int)pid;
}

/* Lets the C# side check that both agree on the layout. */
int kapsel_spawn_abi(void)
{
    return (int)(sizeof(struct ks_step) * 1000 + sizeof(struct ks_plan));
}
